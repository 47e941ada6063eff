"""Training and tuning Kalrav's language and sentiment models: research code, kept beside the
product and out of its wheel (`kalrav/nlp/` serves the weights it writes to
`kalrav/nlp/weights/`). `kalrav nlp train` and `kalrav nlp tune-encoder` run `build`.

Installed beside Kalrav from a checkout: pip install -e './nlp_training[tune]'.
"""
