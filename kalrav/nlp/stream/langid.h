/* What the two files of `_langid` share: the script numbering, the feature sink the scan
 * writes into and the script counts it leaves.
 *
 * langid_text.c reads a text (noise dropped, scripts counted, Latin words turned into hashed
 * features); langid.c holds the module: detect and features, which route and score what the
 * scan leaves. A function one file calls in the other is prefixed langid_ and declared here,
 * hidden from the shared object's exports.
 */
#ifndef KALRAV_LANGID_H
#define KALRAV_LANGID_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* Bump when the features change: the shipped weights name the version they were trained on. */
#define FEATURE_VERSION 1
#define CLASSES 8

enum { S_NONE, S_LATN, S_DEVA, S_BENG, S_GUJR, S_GREK, S_ARAB, S_TAML, S_CYRL, N_SCRIPTS };

/* Where the features go: added to the class scores (serving) or listed (training). */
typedef struct {
    uint32_t *items;
    Py_ssize_t count, capacity;
} List;

typedef struct {
    const uint64_t *weights; /* [1 << bits] rows of CLASSES int8, NULL in listing mode */
    uint32_t shift;          /* 32 - bits */
    int32_t acc[CLASSES];    /* the text's class sums */
    /* Words the other Latin-script languages write (a bitset over word hashes): romanized
     * Hindi needs enough words outside it, as kalrav.nlp.language's vocabulary test has it. */
    const uint8_t *vocabulary;
    uint32_t vocabulary_shift;
    uint32_t words, unknown;
    List buckets, word_hashes; /* listing mode */
    int failed;
} Sink;

typedef struct {
    uint32_t scripts[N_SCRIPTS];
    uint32_t urdu;
    int letters; /* whether any letter survived (textprep.letter_count > 0) */
} Stats;

/* Shared internals are not static, but hidden: the extension exports PyInit__langid alone. */
#if defined(__GNUC__)
#define LANGID_INTERNAL __attribute__((visibility("hidden")))
#else
#define LANGID_INTERNAL
#endif

/* langid_text.c: fills the script table script_of reads, once per process (PyInit__langid). */
LANGID_INTERNAL void langid_fill_small_scripts(void);

/* langid_text.c: one text's script counts into `stats`, its Latin features into `sink`, from
 * its first max_chars code points. In listing mode a failed allocation sets sink->failed. */
LANGID_INTERNAL void langid_scan_text(PyObject *text, Py_ssize_t max_chars, Stats *stats,
                                      Sink *sink);

#endif
