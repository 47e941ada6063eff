/* The cleaning of `_sentiment` (see sentiment.c for the model): the character classes of
 * textprep.for_features, the scratch buffers a text is cleaned into, and sentiment_tokenize,
 * which reads a text's code points once and writes its tokens with their hashes. Everything
 * here but the sentiment_ functions is static.
 */
#include "sentiment.h"

#include <string.h>

int sentiment_grow(Scratch *s, Py_ssize_t length) {
    /* A mention of two characters becomes "xuser": at most 3 points out per point in; every
     * token but the placeholders consumes at least one character, and those two. */
    if (length + 2 <= s->capacity) return 0;
    Py_ssize_t capacity = length + 2 > 256 ? length + 2 : 256;
    uint32_t *points = PyMem_Realloc(s->points, (3 * capacity + 16) * sizeof(uint32_t));
    if (!points) return -1;
    s->points = points;
    Token *tokens = PyMem_Realloc(s->tokens, capacity * sizeof(Token));
    if (!tokens) return -1;
    s->tokens = tokens;
    s->capacity = capacity;
    return 0;
}

void sentiment_release(Scratch *s) {
    PyMem_Free(s->points);
    PyMem_Free(s->tokens);
}

/* ---- cleaning: the character classes of textprep.for_features ---- */

static inline int is_space_slow(Py_UCS4 c) {
    /* The variation selector and joiner glue emoji; for_features turns them into spaces. */
    return c == 0xfe0f || c == 0x200d || Py_UNICODE_ISSPACE(c);
}

static inline int is_emoji(Py_UCS4 c) {
    return (c >= 0x1f000 && c <= 0x1faff) || (c >= 0x2600 && c <= 0x27bf) ||
           (c >= 0x2b00 && c <= 0x2bff) || (c >= 0x2300 && c <= 0x23ff);
}

static inline int is_punct_slow(Py_UCS4 c) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~') || (c >= 0xa1 && c <= 0xbf) || (c >= 0x2000 && c <= 0x206f) ||
           c == 0x964 || c == 0x965 || (c >= 0x3000 && c <= 0x303f) || c == 0x60c ||
           c == 0x61b || c == 0x61f || (c >= 0x66a && c <= 0x66d);
}

/* What cleaning asks of a character. Below TABLE_END (every script of the training sets) the
 * answers come from a table filled once: asking the Unicode database costs a function call
 * per question, which was most of the time on non-Latin text. */
enum { C_SPACE = 1, C_WORD = 2, C_DECIMAL = 4, C_PUNCT = 8, C_EMOJI = 16, C_CASED = 32 };
/* Characters that may start a link, mention, hashtag, entity or inner apostrophe: one test
 * skips all of those checks for the others. Only in the table (all are below TABLE_END). */
#define C_SPECIAL 64
#define TABLE_END 0x3100
static uint8_t char_class[TABLE_END];

static uint8_t classify_slow(Py_UCS4 c) {
    uint8_t f = 0;
    if (is_space_slow(c)) f |= C_SPACE;
    if (Py_UNICODE_ISALNUM(c) || c == '_') f |= C_WORD; /* Python's \w */
    if (Py_UNICODE_ISDECIMAL(c)) f |= C_DECIMAL;
    if (is_punct_slow(c)) f |= C_PUNCT;
    if (is_emoji(c)) f |= C_EMOJI;
    if (Py_UNICODE_TOLOWER(c) != c) f |= C_CASED;
    return f;
}

void sentiment_fill_classes(void) {
    for (Py_UCS4 c = 0; c < TABLE_END; c++) char_class[c] = classify_slow(c);
    static const Py_UCS4 special[] = {'h', 'H', 'w', 'W', '@', '#', '&', '\'', 0x2019};
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
        char_class[special[k]] |= C_SPECIAL;
}

static inline uint8_t classify(Py_UCS4 c) {
    return c < TABLE_END ? char_class[c] : classify_slow(c);
}

static inline Py_UCS4 lower(Py_UCS4 c, uint8_t f) {
    if (!(f & C_CASED)) return c;
    if (c < 128) return c + 32;
    return Py_UNICODE_TOLOWER(c);
}

static inline int starts_with(int kind, const void *data, Py_ssize_t n, Py_ssize_t i,
                              const char *ascii) {
    /* Case-insensitive match of an ASCII literal at i. */
    for (Py_ssize_t k = 0; ascii[k]; k++) {
        if (i + k >= n) return 0;
        Py_UCS4 c = PyUnicode_READ(kind, data, i + k);
        if (c < 128 && c >= 'A' && c <= 'Z') c += 32;
        if (c != (Py_UCS4)(unsigned char)ascii[k]) return 0;
    }
    return 1;
}

/* Clean one text into s->points and cut it into s->tokens; returns the token count.
 * Differences from for_features, none measurable: no "\\uXXXX" unescaping, links are found
 * only where a word starts, and elongation counts repeats in the original text. */
Py_ssize_t sentiment_tokenize(PyObject *text, int affix, Scratch *s) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    uint32_t *out = s->points;
    Token *tokens = s->tokens;
    Py_ssize_t n_out = 0, n_tok = 0;
    int open = -1; /* kind of the token being written, -1 when none */
    int in_digits = 0;
    uint8_t prev = C_SPACE; /* class of the previous character read */
    Py_UCS4 last = 0;
    int run = 0;
    uint64_t h = 0, prefix = 0;
    int written = 0; /* points in the open token */

#define CLOSE()                                 \
    do {                                        \
        if (open >= 0) {                        \
            tokens[n_tok].len = (uint32_t)written; \
            tokens[n_tok].hash = h;             \
            tokens[n_tok].prefix = prefix;      \
            n_tok++;                            \
            open = -1;                          \
        }                                       \
    } while (0)
#define OPEN(k)                                \
    do {                                       \
        tokens[n_tok].start = (uint32_t)n_out; \
        tokens[n_tok].kind = (k);              \
        open = (k);                            \
        h = FNV_OFFSET;                        \
        written = 0;                           \
    } while (0)
#define EMIT(point)                             \
    do {                                        \
        out[n_out++] = (point);                 \
        h = (h ^ (point)) * FNV_PRIME;          \
        if (++written == affix) prefix = h;     \
    } while (0)
#define PLACEHOLDER(word)                                        \
    do {                                                         \
        CLOSE();                                                 \
        OPEN(TOK_PLACEHOLDER);                                   \
        for (const char *w = (word); *w; w++) EMIT((uint32_t)*w); \
        CLOSE();                                                 \
    } while (0)

    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        uint8_t f = classify(c);
        int after_word = prev & C_WORD;
        prev = f;
        if (!(f & C_SPECIAL)) {
            /* the common case: none of the checks below applies */
        } else if (c == 'h' || c == 'H' || c == 'w' || c == 'W') {
            if (!after_word && (starts_with(kind, data, n, i, "http://") ||
                                starts_with(kind, data, n, i, "https://") ||
                                starts_with(kind, data, n, i, "www."))) {
                while (i + 1 < n && !(classify(PyUnicode_READ(kind, data, i + 1)) & C_SPACE)) i++;
                PLACEHOLDER("xurl");
                prev = C_SPACE;
                continue;
            }
            /* a bare "http" word: what a link clipped by the data set's export left */
            if (!after_word && starts_with(kind, data, n, i, "http") &&
                (i + 4 >= n || !(classify(PyUnicode_READ(kind, data, i + 4)) & C_WORD))) {
                i += 3;
                PLACEHOLDER("xurl");
                continue;
            }
        } else if (c == '@' || c == '#') {
            if (!after_word && i + 1 < n && (classify(PyUnicode_READ(kind, data, i + 1)) & C_WORD)) {
                if (c == '#') continue; /* the hashtag's word is kept, its sign dropped */
                while (i + 1 < n && (classify(PyUnicode_READ(kind, data, i + 1)) & C_WORD)) i++;
                PLACEHOLDER("xuser");
                continue;
            }
        } else if (c == '&') {
            static const char *entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
            int found = 0;
            for (int e = 0; e < 5 && !found; e++) {
                if (starts_with(kind, data, n, i, entities[e])) {
                    i += (Py_ssize_t)strlen(entities[e]) - 1;
                    found = 1;
                }
            }
            if (found) {
                CLOSE();
                prev = C_SPACE;
                continue;
            }
        } else if ((c == '\'' || c == 0x2019) && after_word && i + 1 < n &&
                   (classify(PyUnicode_READ(kind, data, i + 1)) & C_WORD)) {
            continue; /* "don't" stays one word */
        }
        c = lower(c, f);
        if (c == last) {
            if (++run > 3) continue; /* "soooo" reads as "sooo" */
        } else {
            last = c;
            run = 1;
        }
        if (f & C_SPACE) {
            CLOSE();
        } else if (f & C_EMOJI) {
            CLOSE();
            OPEN(TOK_EMOJI);
            EMIT(c);
            CLOSE();
        } else if (f & C_PUNCT) {
            if (open != TOK_PUNCT) {
                CLOSE();
                OPEN(TOK_PUNCT);
            }
            if (written < 3) EMIT(c);
        } else {
            if (open != TOK_WORD) {
                CLOSE();
                OPEN(TOK_WORD);
                in_digits = 0;
            }
            if (f & C_DECIMAL) {
                if (!in_digits) EMIT((Py_UCS4)'0');
                in_digits = 1;
            } else {
                EMIT(c);
                in_digits = 0;
            }
        }
    }
    CLOSE();
    return n_tok;
#undef CLOSE
#undef OPEN
#undef PLACEHOLDER
#undef EMIT
}
