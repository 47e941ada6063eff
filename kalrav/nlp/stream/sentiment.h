/* What the two files of `_sentiment` share: the token hash, the token and the scratch buffers
 * one text is cleaned into.
 *
 * sentiment_text.c cleans a text and cuts it into tokens; sentiment.c turns the tokens into
 * hashed features, scores them, and holds the module. A function one file calls in the other
 * is prefixed sentiment_ and declared here, hidden from the shared object's exports.
 */
#ifndef KALRAV_SENTIMENT_H
#define KALRAV_SENTIMENT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

enum { TOK_WORD, TOK_PUNCT, TOK_EMOJI, TOK_PLACEHOLDER };

typedef struct {
    uint32_t start, len;
    uint8_t kind;
    /* FNV-1a states, hashed while cleaning so no second pass reads the points */
    uint64_t hash, prefix;
} Token;

typedef struct {
    uint32_t *points; /* cleaned code points of one text */
    Token *tokens;
    Py_ssize_t capacity; /* in tokens; points has room for 3 * capacity + 16 */
} Scratch;

/* Shared internals are not static, but hidden: the extension exports PyInit__sentiment alone. */
#if defined(__GNUC__)
#define SENTIMENT_INTERNAL __attribute__((visibility("hidden")))
#else
#define SENTIMENT_INTERNAL
#endif

/* sentiment_text.c: room in `s` for a text of `length` code points: 0, or -1 when out of
 * memory (no exception set). sentiment_release frees both buffers. */
SENTIMENT_INTERNAL int sentiment_grow(Scratch *s, Py_ssize_t length);
SENTIMENT_INTERNAL void sentiment_release(Scratch *s);

/* sentiment_text.c: fills the character class table, once per process (PyInit__sentiment). */
SENTIMENT_INTERNAL void sentiment_fill_classes(void);

/* sentiment_text.c: cleans `text` into s->points and cuts it into s->tokens, `s` grown for it
 * by sentiment_grow; returns the token count. A token's prefix is the hash of its first
 * `affix` points. */
SENTIMENT_INTERNAL Py_ssize_t sentiment_tokenize(PyObject *text, int affix, Scratch *s);

#endif
