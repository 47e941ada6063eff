/* What the three files of `_scan` share: the numbering that batch.py also writes, the engine's
layout, the per-code-point tables, and the small hashing and bit-set helpers they all use.

scan.c holds the module, its Engine type and the tables; scan_text.c reads a post into keys;
scan_eval.c evaluates the compiled queries. A function one file calls in another is prefixed
scan_ and declared here, hidden from the shared object's exports. The helpers defined here are
static inline because they run in the per-code-point and per-word loops, where a call would
cost: grow's fast path is one comparison, its slow path (scan_reserve) is in scan.c.
*/
#ifndef KALRAV_SCAN_H
#define KALRAV_SCAN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define LIMIT 0x20000
#define MAX_POSTS 256
#define WORDS_PER_SET (MAX_POSTS / 64)
#define MAX_PREFIX 8
#define FILTER_BITS 65536
#define STAR 0xFFFFFFFFu
#define ANY_ONE 0xFFFFFFFEu

/* Per code point flags (of the code point itself); the same values are written by batch.py. */
enum {
    F_WORD = 1,       /* in words.WORD's class */
    F_SPACE = 2,      /* in regex's \s (ends a link) */
    F_MAYBE0 = 4,     /* a starter that composes with the character before it */
    F_MAYBE_MARK = 8, /* a mark that composes with the starter before it */
    F_FIRST = 16,     /* composes, or its decomposition does, with a following character */
};

/* scan_fold_info: what the fold loop needs of a code point in one load. Bits 0-16 its fold when
   that is one code point, 17-24 the fold's combining class, then the fold's F_MAYBE0,
   F_MAYBE_MARK and F_FIRST; I_COMPLEX: a text holding it is folded by Python; I_MULTI: it folds
   to zero or several code points, bits 0-27 being (offset << 4 | count) into `scan_folds`. */
#define I_POINT 0x1FFFFu
#define I_CLASS_SHIFT 17
#define I_MAYBE0 (1u << 25)
#define I_MAYBE_MARK (1u << 26)
#define I_FIRST (1u << 27)
#define I_COMPLEX (1u << 28)
#define I_MULTI (1u << 29)
#define MAX_FOLD 4

enum { K_WORD = 0, K_TAG = 1, K_PREFIX = 2, K_LANG = 3, K_AUTHOR = 4, K_SITE = 5 };
/* OP_POSITIONAL: a phrase or NEAR, evaluated per post on word positions (P_ nodes) for the
   posts its first child (what it needs present) leaves. */
enum {
    OP_KEY,
    OP_WILD,
    OP_URL,
    OP_NOT,
    OP_AND,
    OP_OR,
    OP_POSITIONAL,
    P_TERM,
    P_WILD,
    P_PHRASE,
    P_OR,
    P_NEAR,
    OP_LAST = P_NEAR
};

typedef struct {
    uint64_t w[WORDS_PER_SET];
} Bits;

typedef struct {
    uint64_t hash;
    uint32_t offset; /* into Engine.pool */
    uint32_t length;
    int32_t kind;    /* -1: empty slot */
    int32_t value;
} Slot;

typedef struct {
    uint32_t *data;
    size_t length, capacity;
} Buffer;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    uint64_t slot_mask;
    /* one bit per hash value's top 16 bits: most words are no key, and this says so from L1 */
    uint64_t filter[FILTER_BITS / 64];
    Buffer pool;
    int key_count;
    /* wildcards: pattern code points with STAR and ANY_ONE */
    int wildcard_count;
    uint32_t *wildcard_offset, *wildcard_length;
    Buffer patterns;
    int32_t *prefix_lists; /* per prefix entry: count, then wildcard ids */
    Buffer prefix_pool;
    int32_t *unanchored;
    int unanchored_count;
    unsigned prefix_lengths; /* bit k: some wildcard is anchored on k letters */
    int has_tags, has_languages, has_authors;
    int32_t *program;
    Py_ssize_t program_length;
    Py_ssize_t *starts;
    Py_ssize_t monitor_count;
    PyObject *ids;
    /* the batch being matched, or the last one */
    int busy;
    Bits *key_bits, *wildcard_bits;
    Buffer folded;
    Buffer spans;                     /* word start, length pairs in folded */
    Py_ssize_t first_span[MAX_POSTS + 1];
    Buffer word_keys;                 /* per word: its K_WORD key, or UINT32_MAX */
    Buffer hits;                      /* word, wildcard pairs: the wildcard matches the word */
    Py_ssize_t first_hit[MAX_POSTS + 1];
    Buffer arena;                     /* spans of positional nodes: start, end pairs */
    Py_ssize_t post_count;
    Buffer scratch;
    int has_sites, has_urls;
    Buffer addresses;                 /* Seen.address of each post, one after another */
    size_t address_start[MAX_POSTS + 1];
    int32_t *url_offset, *url_length; /* url: values in pool, by OP_URL's argument */
    int url_count;
} Engine;

/* Shared internals are not static, but hidden: the extension exports PyInit__scan alone. */
#if defined(__GNUC__)
#define SCAN_INTERNAL __attribute__((visibility("hidden")))
#else
#define SCAN_INTERNAL
#endif

/* The per-code-point tables batch.py gives set_tables (scan.c) once per process; engines and
   the fold loop point into them. */
SCAN_INTERNAL extern uint32_t *scan_fold_info;
SCAN_INTERNAL extern uint8_t *scan_flags;
SCAN_INTERNAL extern uint8_t *scan_combining; /* canonical combining class */
SCAN_INTERNAL extern uint32_t *scan_folds;

/* grow's slow path: makes the buffer hold `more` code points more; -1 with MemoryError set. */
SCAN_INTERNAL int scan_reserve(Buffer *buffer, size_t more);

static inline int grow(Buffer *buffer, size_t more) {
    if (buffer->length + more <= buffer->capacity) return 0;
    return scan_reserve(buffer, more);
}

static inline uint64_t step(uint64_t hash, uint32_t point) {
    return (hash ^ point) * 1099511628211ULL;
}

#define HASH_START 1469598103934665603ULL

static inline uint64_t finish(uint64_t hash, int kind) {
    hash ^= (uint64_t)(kind + 1) * 0x9E3779B97F4A7C15ULL;
    hash ^= hash >> 29;
    hash *= 0xBF58476D1CE4E5B9ULL;
    return hash ^ (hash >> 32);
}

static inline const Slot *lookup(const Engine *engine, int kind, uint64_t running,
                                 const uint32_t *text, uint32_t length) {
    uint64_t hash = finish(running, kind);
    uint64_t bit = hash >> 48;
    if (!(engine->filter[bit >> 6] & ((uint64_t)1 << (bit & 63)))) return NULL;
    for (uint64_t at = hash & engine->slot_mask;; at = (at + 1) & engine->slot_mask) {
        const Slot *slot = &engine->slots[at];
        if (slot->kind < 0) return NULL;
        if (slot->hash == hash && slot->kind == kind && slot->length == length &&
            memcmp(engine->pool.data + slot->offset, text, length * sizeof(uint32_t)) == 0)
            return slot;
    }
}

static inline void set_bit(Bits *bits, Py_ssize_t post) {
    bits->w[post >> 6] |= (uint64_t)1 << (post & 63);
}

static inline int is_empty(Bits bits) {
    uint64_t any = 0;
    for (int k = 0; k < WORDS_PER_SET; k++) any |= bits.w[k];
    return any == 0;
}

/* scan_text.c: one post read into the engine's bits, words and addresses. Each returns 0, or
   -1 with an exception set; scan_fold_text returns 1 when Python must fold the text. */
SCAN_INTERNAL int scan_fold_text(Engine *engine, PyObject *text);
SCAN_INTERNAL int scan_words(Engine *engine, Py_ssize_t post, size_t start);
SCAN_INTERNAL int scan_tags(Engine *engine, PyObject *text, Py_ssize_t post);
SCAN_INTERNAL int scan_field(Engine *engine, int kind, PyObject *value, Py_ssize_t post);
SCAN_INTERNAL int scan_address(Engine *engine, PyObject *url, Py_ssize_t post);

/* scan_eval.c: the posts of `mask` that the node holds for; sets *failed on an error. */
SCAN_INTERNAL Bits scan_evaluate(Engine *engine, const int32_t *node, Bits mask, int *failed);

#endif
