/* The scan of `_langid`: one pass over a text's code points (see langid.c for the scheme).
 *
 * It holds the script table, the character tests that mirror kalrav.nlp.textprep (noise,
 * emoji, Urdu-only letters, word characters), the hashed n-gram and word features with their
 * int8 row sums, and langid_scan_text, which langid.c's detect and features call per text.
 * Everything here but the two langid_ functions is static, so that the per-character helpers
 * can be inlined into the scan loop, which is compiled once per string kind.
 */
#include "langid.h"

#include <string.h>

#define MAX_NGRAM 4
/* A word longer than this is a glued-together string (a link's tail, a key): its n-grams
 * still count, its whole-word feature does not. */
#define MAX_WORD 24
#define FLUSH 256

/* textprep.SCRIPTS, as ranges */
static const struct {
    Py_UCS4 first, last;
    int script;
} RANGES[] = {
    {0x00c0, 0x024f, S_LATN}, {0x0370, 0x03ff, S_GREK}, {0x0400, 0x04ff, S_CYRL},
    {0x0600, 0x06ff, S_ARAB}, {0x0750, 0x077f, S_ARAB}, {0x08a0, 0x08ff, S_ARAB},
    {0x0900, 0x097f, S_DEVA}, {0x0980, 0x09ff, S_BENG}, {0x0a80, 0x0aff, S_GUJR},
    {0x0b80, 0x0bff, S_TAML}, {0x1e00, 0x1eff, S_LATN}, {0x1f00, 0x1fff, S_GREK},
    {0xa8e0, 0xa8ff, S_DEVA}, {0xfb50, 0xfdff, S_ARAB}, {0xfe70, 0xfeff, S_ARAB},
};
/* The script of each 16 code points below U+1000 (every range above starts and ends on a
 * multiple of 16): one load instead of a chain of comparisons for most letters. */
static uint8_t SMALL_SCRIPTS[0x100];

void langid_fill_small_scripts(void) {
    for (size_t r = 0; r < sizeof(RANGES) / sizeof(RANGES[0]); r++)
        for (Py_UCS4 c = RANGES[r].first; c <= RANGES[r].last && c < 0x1000; c += 16)
            SMALL_SCRIPTS[c >> 4] = (uint8_t)RANGES[r].script;
}

static inline int script_of(Py_UCS4 c) {
    if (c < 0x80) return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ? S_LATN : S_NONE;
    if (c < 0x1000) return SMALL_SCRIPTS[c >> 4];
    for (size_t r = 0; r < sizeof(RANGES) / sizeof(RANGES[0]); r++)
        if (c >= RANGES[r].first && c <= RANGES[r].last) return RANGES[r].script;
    return S_NONE;
}

/* textprep.EMOJI_CHARS */
static inline int is_emoji(Py_UCS4 c) {
    return (c >= 0x1f000 && c <= 0x1faff) || (c >= 0x2600 && c <= 0x27bf) ||
           (c >= 0x2b00 && c <= 0x2bff) || (c >= 0x2300 && c <= 0x23ff) || c == 0xfe0f ||
           c == 0x200d;
}

/* Letters Urdu writes and Arabic does not (tteh, ddal, rreh, noon ghunna, yeh barree, heh goal,
 * do-chashmee heh, and their presentation forms): one of them is enough to say Urdu. The
 * Persian-and-Urdu letters (peh, tcheh, gaf, keheh, farsi yeh) are not, since Arabic posts
 * borrow them for foreign names. */
static int is_urdu_only(Py_UCS4 c) {
    switch (c) {
    case 0x0679: case 0x0688: case 0x0691: case 0x06ba: case 0x06be: case 0x06c1: case 0x06c2:
    case 0x06c3: case 0x06d2: case 0x06d3:
        return 1;
    default:
        return (c >= 0xfb66 && c <= 0xfb6d) || (c >= 0xfb88 && c <= 0xfb8d) ||
               (c >= 0xfb9e && c <= 0xfbaf);
    }
}

static inline int is_word(Py_UCS4 c) {
    return c == '_' || (c < 0x80 ? ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9')
                                 : Py_UNICODE_ISALNUM(c));
}

static int hex_value(Py_UCS4 c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    return -1;
}


static int append(List *list, uint32_t value) {
    if (list->count == list->capacity) {
        Py_ssize_t capacity = list->capacity ? list->capacity * 2 : 1024;
        uint32_t *grown = PyMem_Realloc(list->items, (size_t)capacity * sizeof(uint32_t));
        if (!grown) return -1;
        list->items = grown;
        list->capacity = capacity;
    }
    list->items[list->count++] = value;
    return 0;
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* The running sums while a text is read, kept in two registers: a row's 8 int8 weights are
 * read as one uint64, biased to unsigned (xor 0x80 adds 128 to each), and its even and odd
 * bytes are added into 4 16-bit lanes each. FLUSH rows (FLUSH * 255 < 65536) at most go in
 * before the lanes are moved to Sink.acc and the bias taken off. */
typedef struct {
    uint64_t even, odd;
    uint32_t pending;
} Acc;

#define BYTE_LANES 0x00ff00ff00ff00ffull

static void flush(Sink *sink, Acc *acc) {
    for (int lane = 0; lane < 4; lane++) {
        sink->acc[2 * lane] += (int32_t)((acc->even >> (16 * lane)) & 0xffff);
        sink->acc[2 * lane + 1] += (int32_t)((acc->odd >> (16 * lane)) & 0xffff);
    }
    for (int k = 0; k < CLASSES; k++) sink->acc[k] -= 128 * (int32_t)acc->pending;
    acc->even = acc->odd = 0;
    acc->pending = 0;
}

static inline uint32_t vocabulary_bit(uint32_t word_hash, uint32_t shift) {
    return (word_hash * 0x2c1b3c6du) >> shift;
}

static ALWAYS_INLINE void emit(Sink *sink, Acc *acc, uint32_t hash) {
    uint32_t bucket = (hash * 0x9e3779b1u) >> sink->shift;
    if (sink->weights) {
        uint64_t row;
        memcpy(&row, sink->weights + bucket, sizeof(row));
        row ^= 0x8080808080808080ull;
        acc->even += row & BYTE_LANES;
        acc->odd += (row >> 8) & BYTE_LANES;
        if (++acc->pending == FLUSH) flush(sink, acc);
        return;
    }
    if (append(&sink->buckets, bucket) < 0) sink->failed = 1;
}

static ALWAYS_INLINE uint32_t mix(uint32_t h, uint32_t c, uint32_t order) {
    h = (h ^ c) * 0x85ebca6bu + order;
    return h ^ (h >> 13);
}


typedef struct {
    uint32_t w0, w1, w2, w3; /* the last 4 characters, w0 the newest */
    int filled;              /* characters in the window, the word-start boundary included */
    int length;              /* letters in the word */
    uint32_t word_hash;
} Word;

/* The n-grams ending at the newest character of the window, from length `from`. */
static ALWAYS_INLINE void emit_ngrams(Sink *sink, Acc *acc, const Word *word, int from) {
    uint32_t h = mix(0x2545f491u, word->w0, 1);
    if (from <= 1) emit(sink, acc, h);
    if (word->filled < 2) return;
    h = mix(h, word->w1, 2);
    emit(sink, acc, h);
    if (word->filled < 3) return;
    h = mix(h, word->w2, 3);
    emit(sink, acc, h);
    if (word->filled < 4) return;
    h = mix(h, word->w3, 4);
    emit(sink, acc, h);
}

static ALWAYS_INLINE void push(Word *word, uint32_t c) {
    word->w3 = word->w2;
    word->w2 = word->w1;
    word->w1 = word->w0;
    word->w0 = c;
    if (word->filled < MAX_NGRAM) word->filled++;
}

static ALWAYS_INLINE void end_word(Sink *sink, Acc *acc, Word *word) {
    if (!word->length) return;
    push(word, ' ');
    emit_ngrams(sink, acc, word, 2);
    if (word->length <= MAX_WORD) emit(sink, acc, word->word_hash ^ 0x5bd1e995u);
    sink->words++;
    if (sink->vocabulary) {
        uint32_t bit = vocabulary_bit(word->word_hash, sink->vocabulary_shift);
        sink->unknown += !((sink->vocabulary[bit >> 3] >> (bit & 7)) & 1);
    } else if (!sink->weights && append(&sink->word_hashes, word->word_hash) < 0) {
        sink->failed = 1;
    }
    word->length = 0;
}

static ALWAYS_INLINE void add_letter(Sink *sink, Acc *acc, Word *word, uint32_t c) {
    if (!word->length) {
        word->w0 = ' ';
        word->filled = 1;
        word->word_hash = 0x811c9dc5u;
    } else if (word->filled >= 3 && word->w0 == c && word->w1 == c && word->w2 == c) {
        return; /* "soooo" reads as "sooo", as textprep.for_features has it */
    }
    push(word, c);
    word->length++;
    word->word_hash = (word->word_hash ^ c) * 0x01000193u;
    emit_ngrams(sink, acc, word, 1);
}

/* Whether the text at i starts with s (ASCII), ignoring case when `fold`. */
static int starts_with(int kind, const void *data, Py_ssize_t i, Py_ssize_t n, const char *s,
                       int fold) {
    for (; *s; s++, i++) {
        if (i >= n) return 0;
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (fold && (c | 0x20) >= 'a' && (c | 0x20) <= 'z') c |= 0x20;
        if (c != (Py_UCS4)*s) return 0;
    }
    return 1;
}

/* textprep.HTML_ENTITY (case matters there) */
static int is_entity(int kind, const void *data, Py_ssize_t i, Py_ssize_t n) {
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++)
        if (starts_with(kind, data, i, n, entities[e], 0)) return 1;
    return 0;
}

static ALWAYS_INLINE void scan_kind(int kind, const void *data, Py_ssize_t n, Stats *stats,
                                    Sink *sink) {
    Word word = {0, 0, 0, 0, 0, 0, 0};
    Acc acc = {0, 0, 0};
    int after_word = 0; /* for the (?<!\w) of mentions and hashtags */
    /* The sign of a mention or hashtag removed just before. textprep removes mentions before
     * hashtags, each in one pass over the text: "#a#b" keeps "#b" (it follows a word
     * character), "@a#b" loses both (the mention is a space by the time hashtags go). */
    Py_UCS4 removed = 0;
    /* Script counts are kept as runs in registers (a count in memory incremented per
     * character is a chain of store-to-load waits); characters of no script do not break a
     * run, so "नमस्ते दोस्त" is one. */
    int run_script = S_NONE;
    uint32_t run = 0, urdu = 0;
    int letters = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        Py_ssize_t next = i + 1;
        /* the common characters first: ASCII letters that cannot start a link, then the ASCII
         * characters that start nothing (escapes, entities, tags, apostrophes do) */
        if (c < 0x80) {
            Py_UCS4 folded = c | 0x20;
            if (folded >= 'a' && folded <= 'z' && folded != 'h' && folded != 'w') {
                if (run_script != S_LATN) {
                    stats->scripts[run_script] += run;
                    run_script = S_LATN;
                    run = 0;
                }
                run++;
                letters = 1;
                after_word = 1;
                removed = 0;
                add_letter(sink, &acc, &word, folded);
                i = next;
                continue;
            }
            if (c != '\\' && c != '&' && c != '@' && c != '#' && c != '\'' &&
                (folded < 'a' || folded > 'z')) {
                /* a space, digit or punctuation mark: ends the word */
                end_word(sink, &acc, &word);
                after_word = is_word(c);
                removed = 0;
                i = next;
                continue;
            }
        }
        if (c == '\\' && i + 5 < n && PyUnicode_READ(kind, data, i + 1) == 'u') {
            int value = 0, ok = 1;
            for (int k = 2; k < 6 && ok; k++) {
                int h = hex_value(PyUnicode_READ(kind, data, i + k));
                ok = h >= 0;
                value = value * 16 + h;
            }
            if (ok) {
                c = (Py_UCS4)value;
                next = i + 6;
            }
        }
        if (c == '&' && is_entity(kind, data, i, n)) {
            while (PyUnicode_READ(kind, data, i) != ';') i++;
            end_word(sink, &acc, &word);
            after_word = 0;
            i++;
            continue;
        }
        Py_UCS4 lower = c < 0x80 ? (c | 0x20) : 0;
        if ((lower == 'h' || lower == 'w') &&
            (starts_with(kind, data, i, n, "http://", 1) ||
             starts_with(kind, data, i, n, "https://", 1) ||
             starts_with(kind, data, i, n, "www.", 1))) {
            while (i < n && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) i++;
            end_word(sink, &acc, &word);
            after_word = 0;
            continue;
        }
        if (lower == 'h' && !after_word && starts_with(kind, data, i, n, "http", 1) &&
            (i + 4 >= n || !is_word(PyUnicode_READ(kind, data, i + 4)))) {
            i += 4; /* a bare "http" (textprep's \bhttp\b): a link cut short */
            end_word(sink, &acc, &word);
            continue;
        }
        if ((c == '@' || c == '#') && (!after_word || (c == '#' && removed == '@')) &&
            next < n && is_word(PyUnicode_READ(kind, data, next))) {
            i = next;
            while (i < n && is_word(PyUnicode_READ(kind, data, i))) i++;
            end_word(sink, &acc, &word);
            after_word = 1;
            removed = c;
            continue;
        }
        removed = 0;
        i = next;
        int script = script_of(c);
        if (script != S_NONE && script != run_script) {
            stats->scripts[run_script] += run;
            run_script = script;
            run = 0;
        }
        run += script != S_NONE;
        if (script == S_LATN) {
            letters = 1;
            after_word = 1;
            uint32_t folded = c < 0x80 ? (c | 0x20) : (uint32_t)Py_UNICODE_TOLOWER(c);
            add_letter(sink, &acc, &word, folded);
            continue;
        }
        if (script != S_NONE) {
            /* a letter of another counted script; Indic vowel signs are not letters to
             * Python, so only the first needs the Unicode database */
            end_word(sink, &acc, &word);
            if (script == S_ARAB && is_urdu_only(c)) urdu++;
            if (!letters) letters = Py_UNICODE_ISALPHA(c);
            after_word = 1;
            continue;
        }
        if ((c == '\'' || c == 0x2019) && word.length) {
            /* "don't", "l'amour": the apostrophe stays in the word (and its n-grams) */
            add_letter(sink, &acc, &word, '\'');
            continue;
        }
        end_word(sink, &acc, &word);
        if (c < 0x80) {
            after_word = is_word(c);
        } else if (is_emoji(c)) {
            after_word = 0;
        } else {
            int alpha = Py_UNICODE_ISALPHA(c);
            if (alpha) letters = 1;
            after_word = alpha || Py_UNICODE_ISALNUM(c);
        }
    }
    end_word(sink, &acc, &word);
    if (acc.pending) flush(sink, &acc);
    stats->scripts[run_script] += run;
    stats->scripts[S_NONE] = 0;
    stats->urdu = urdu;
    stats->letters = letters;
}

/* One text: its script counts into `stats`, its Latin features into `sink` (scan_kind is
 * compiled once per string kind, so PyUnicode_READ needs no switch per character). */
void langid_scan_text(PyObject *text, Py_ssize_t max_chars, Stats *stats, Sink *sink) {
    memset(stats, 0, sizeof(*stats));
    sink->words = sink->unknown = 0;
    memset(sink->acc, 0, sizeof(sink->acc));
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n > max_chars) n = max_chars;
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        scan_kind(PyUnicode_1BYTE_KIND, data, n, stats, sink);
        break;
    case PyUnicode_2BYTE_KIND:
        scan_kind(PyUnicode_2BYTE_KIND, data, n, stats, sink);
        break;
    default:
        scan_kind(PyUnicode_4BYTE_KIND, data, n, stats, sink);
        break;
    }
}
