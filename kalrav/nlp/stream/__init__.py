"""Reading whole streams: the language and fast sentiment of every post of a public stream.

The inbox reads a few messages a second (`services.classify_batch`: lingua, the fast sentiment
model); listening reads public streams of thousands of posts a second. The stream reader answers
the same two questions for those volumes in C, one pass over each text per question, with models
trained on the same labelled sets (`python -m nlp_training.stream_language_training`,
`python -m nlp_training.stream_sentiment_training`); the held-out figures of both readers are in
docs/nlp.md. What someone opens is read again by the quality path, as in the inbox.

Without a C compiler the extensions are not built (setup.py marks them optional) and
`get_stream_reader` answers None: the caller reads with `classify_batch` instead, slower.
"""
