"""A person corrects the sentiment the model gave an incoming message: `services` applies it to
the message and conversation and keeps it (`models.SentimentCorrection`), `views` is the form on
the conversation page (the API action is in `inbox.work.api`), and `training` hands the kept
corrections to `kalrav nlp train --corrections`."""
