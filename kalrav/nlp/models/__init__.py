"""The app's database models (this directory also holds the trained model files)."""

from kalrav.nlp.corrections import SentimentCorrection

__all__ = ["SentimentCorrection"]
