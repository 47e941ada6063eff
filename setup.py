"""The native parts of Kalrav: C extensions for the paths that read whole streams.

Everything else is in pyproject.toml. Each extension is optional: where no C compiler is
found, the install still succeeds and listening reads its streams on the portable path
(lingua, the fast sentiment model and the per-post matcher), about 40 times slower; the
listening health page says which path runs.
"""

from setuptools import Extension, setup

FLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]

EXTENSIONS = [
    Extension(
        "kalrav.nlp.stream._langid",
        ["kalrav/nlp/stream/langid.c", "kalrav/nlp/stream/langid_text.c"],
        depends=["kalrav/nlp/stream/langid.h"],
        optional=True,
        extra_compile_args=FLAGS,
    ),
    Extension(
        "kalrav.nlp.stream._sentiment",
        ["kalrav/nlp/stream/sentiment.c", "kalrav/nlp/stream/sentiment_text.c"],
        depends=["kalrav/nlp/stream/sentiment.h"],
        optional=True,
        extra_compile_args=FLAGS,
    ),
    Extension(
        "kalrav.listening.query._scan",
        [
            "kalrav/listening/query/scan.c",
            "kalrav/listening/query/scan_text.c",
            "kalrav/listening/query/scan_eval.c",
        ],
        depends=["kalrav/listening/query/scan.h"],
        optional=True,
        extra_compile_args=FLAGS,
    ),
]

# Guarded so that scripts/build_native.py can read EXTENSIONS; setuptools runs this file as
# __main__.
if __name__ == "__main__":
    setup(ext_modules=EXTENSIONS)
