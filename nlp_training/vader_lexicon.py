"""VADER's lexicon as entries of the models' polarity lexicon (`kalrav.nlp.lexicon`): read when a
model is trained, stored in the model file, so serving needs no vaderSentiment."""

from __future__ import annotations

from kalrav.nlp.textprep import EMOJI


def vader_entries() -> dict[str, float]:
    """VADER's word valences (scaled to [-1, 1]) and the polarity of each single emoji.

    An emoji's polarity is VADER's compound score of its CLDR name ("face with tears of
    joy" is positive), which is how VADER itself reads emoji.
    """
    # Imported on use: the training modules load without vaderSentiment; only this needs it.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    entries: dict[str, float] = {}
    for word, valence in analyzer.lexicon.items():
        if any(ch.isalpha() for ch in word) and " " not in word:
            entries[word.lower()] = max(-1.0, min(1.0, float(valence) / 4.0))
    for emoji, name in analyzer.emojis.items():
        emoji = emoji.replace("\ufe0f", "")
        if len(emoji) != 1 or not EMOJI.fullmatch(emoji):
            continue
        compound = analyzer.polarity_scores(name)["compound"]
        if abs(compound) >= 0.05:
            entries[emoji] = float(compound)
    return entries
