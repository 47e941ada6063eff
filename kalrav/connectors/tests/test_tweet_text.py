"""twitter-text-parser loads without setuptools' pkg_resources and without its warning."""

import subprocess
import sys

SCRIPT = """
import sys, warnings
warnings.simplefilter("error")
sys.modules["pkg_resources"] = None  # as with setuptools 81, which removed it
from kalrav.connectors.text.tweet_text import parse_tweet
print(parse_tweet("ok \\U0001F600 https://example.com/a").weightedLength)
"""


def test_twitter_text_loads_without_pkg_resources():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    # "ok " 3, the emoji 2, a space 1, the link 23: X's counting rules.
    assert done.stdout.strip() == "29"
    assert done.stderr == ""
