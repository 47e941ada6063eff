"""Words too common to be a term, in the languages Kalrav speaks, folded as `words.fold` folds
them. Short on purpose: rising-term statistics already discount what is always there; these only
keep the top-terms lists readable."""

from kalrav.listening.query.words import fold

STOPWORDS = frozenset(
    fold(word)
    for word in (  # noqa: SIM905 - one string per language reads better than 170 quoted words
        # English
        "the and for you are but not with this that have was were from they she his her its our "
        "your their them what when where who why how all any can will just than then there here "
        "about into out over more most some such only own same very also been being had has did does "
        "doing would could should which while after before again off once because until"
        # Hindi
        " है हैं था थे थी और का की के को में से पर यह वह भी नहीं तो कि एक ही हम आप मैं जो लिए"
        " कर करना किया गया रहा रही रहे"
        # Bengali
        " এবং এই সেই একটি করে করা হয় হয়েছে আমি আমরা তুমি আপনি তার কিন্তু জন্য থেকে সঙ্গে না আর ও"
        # Gujarati
        " અને છે છું હતું હતી હતા આ તે એક માટે પણ નથી તો કે જે હું અમે તમે થી માં નો ની નું ના"
        # Greek (accents folded)
        " και του της την των στο στη στην στον για από που με δεν θα να το τα οι ειναι ενα μια αλλα"
        " οτι σαν πολυ"
    ).split()
)
