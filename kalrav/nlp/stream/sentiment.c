/* Stream sentiment: cleaning, feature hashing and a linear model in one pass per text.
 *
 * The numpy fast model (kalrav/nlp/sentiment.py) spends ~48 us a post, mostly on hundreds of
 * character n-grams; a whole public stream allows ~1.5 us. Here each text's code points are
 * read once (PyUnicode_READ, no Python object per character), cleaned much as
 * textprep.for_features cleans them, cut into tokens, and each token's features are hashed
 * and looked up in a small int8 weight table that stays in the L2 cache.
 *
 * Features (all optional but word unigrams, chosen by the spec passed in):
 *   word unigrams, word bigrams, a prefix and a suffix of `affix` code points for longer words,
 *   every one both shared and private to the text's language (key 0: shared only);
 *   plus four dense lexicon columns (VADER words and emoji) as log1p of the summed valences.
 * The table stores two int8 columns per bucket: the scores of "neutral" and "positive" minus
 * that of "negative", which is all a softmax over three classes needs.
 *
 * `features` returns what `predict` scores, so training fits exactly what serving computes.
 * Shipped weights are indexed by these hashes: a change to the cleaning or the hashing needs
 * a new FORMAT in sentiment.py and retrained weights (test_stream_sentiment pins a few keys).
 * The GIL is kept: the texts are Python objects read during the whole call.
 *
 * sentiment_text.c holds the cleaning and the tokens; this file the features, the scoring and
 * the module. sentiment.h is what the two share.
 */
#include "sentiment.h"

#include <math.h>
#include <string.h>

#define SALT_WORD 0xa0761d6478bd642fULL
#define SALT_BIGRAM 0xe7037ed1a0b428dbULL
#define SALT_PREFIX 0x8ebc6af09c88c6e3ULL
#define SALT_SUFFIX 0x589965cc75374cc3ULL
#define N_DENSE 4
#define N_PARAMS (3 + 2 * N_DENSE) /* scale, two biases, two rows of dense weights */

typedef struct {
    int bits;
    int bigrams;
    int affix;
} Spec;

typedef struct {
    const uint64_t *keys; /* open addressing, size a power of two, 0 = empty */
    const float *valences;
    Py_ssize_t size;
    int shift;
} Lexicon;

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static inline uint64_t hash_points(const uint32_t *p, Py_ssize_t n) {
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
    return mix64(h);
}

/* ---- features ---- */

/* Where features go: either summed into two scores (serving) or listed (training). */
typedef struct {
    int shift;           /* 64 - bits */
    uint64_t key;        /* the language's key, 0 when unknown */
    const int8_t *table; /* serving: two int8 per bucket */
    int32_t sum[2];
    Py_ssize_t count;
    /* training */
    int collect;
    int32_t *columns;
    Py_ssize_t used, capacity;
} Sink;

static inline int add(Sink *k, uint64_t feature) {
    uint32_t shared = (uint32_t)(feature >> k->shift);
    /* One multiply spreads the language's key over the top bits: enough for a bucket. */
    uint32_t own = (uint32_t)(((feature ^ k->key) * 0x9e3779b97f4a7c15ULL) >> k->shift);
    int copies = k->key ? 2 : 1;
    k->count += copies;
    if (!k->collect) {
        k->sum[0] += k->table[2 * shared];
        k->sum[1] += k->table[2 * shared + 1];
        if (copies == 2) {
            k->sum[0] += k->table[2 * own];
            k->sum[1] += k->table[2 * own + 1];
        }
        return 0;
    }
    if (k->used + 2 > k->capacity) {
        Py_ssize_t capacity = 2 * k->capacity + 1024;
        int32_t *grown = PyMem_Realloc(k->columns, capacity * sizeof(int32_t));
        if (!grown) return -1;
        k->columns = grown;
        k->capacity = capacity;
    }
    k->columns[k->used++] = (int32_t)shared;
    if (copies == 2) k->columns[k->used++] = (int32_t)own;
    return 0;
}

static inline float lexicon_valence(const Lexicon *lex, uint64_t h) {
    if (!lex->size) return 0.0f;
    Py_ssize_t mask = lex->size - 1;
    for (Py_ssize_t slot = (Py_ssize_t)(h >> lex->shift);; slot = (slot + 1) & mask) {
        uint64_t key = lex->keys[slot];
        if (key == h) return lex->valences[slot];
        if (key == 0) return 0.0f;
    }
}

/* All features of one text into the sink and its dense columns into `dense`. */
static int featurize(PyObject *text, const Spec *spec, const Lexicon *lex, Scratch *s, Sink *k,
                     double dense[N_DENSE]) {
    if (sentiment_grow(s, PyUnicode_GET_LENGTH(text)) < 0) return -1;
    Py_ssize_t n_tok = sentiment_tokenize(text, spec->affix, s);
    double mass[N_DENSE] = {0, 0, 0, 0};
    uint64_t previous = 0;
    for (Py_ssize_t t = 0; t < n_tok; t++) {
        const Token *tok = &s->tokens[t];
        const uint32_t *p = s->points + tok->start;
        uint64_t h = mix64(tok->hash);
        if (add(k, mix64(h ^ SALT_WORD)) < 0) return -1;
        if (spec->bigrams && t > 0 && add(k, mix64((previous * FNV_PRIME + h) ^ SALT_BIGRAM)) < 0)
            return -1;
        previous = h;
        if (spec->affix && tok->kind == TOK_WORD && tok->len > (uint32_t)spec->affix) {
            if (add(k, mix64(mix64(tok->prefix) ^ SALT_PREFIX)) < 0) return -1;
            if (add(k, mix64(hash_points(p + tok->len - spec->affix, spec->affix) ^
                             SALT_SUFFIX)) < 0)
                return -1;
        }
        float v = lexicon_valence(lex, h);
        if (v != 0.0f) {
            int column = (tok->kind == TOK_EMOJI ? 2 : 0) + (v < 0);
            mass[column] += fabs((double)v);
        }
    }
    for (int d = 0; d < N_DENSE; d++) dense[d] = mass[d] > 0 ? log1p(mass[d]) : 0.0;
    return 0;
}

/* ---- argument plumbing ---- */

typedef struct {
    Py_buffer keys, lex_keys, lex_valences;
    Spec spec;
    Lexicon lex;
} Common;

static void common_release(Common *c) {
    if (c->keys.obj) PyBuffer_Release(&c->keys);
    if (c->lex_keys.obj) PyBuffer_Release(&c->lex_keys);
    if (c->lex_valences.obj) PyBuffer_Release(&c->lex_valences);
}

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, Py_ssize_t items,
                      int writable, const char *what) {
    if (PyObject_GetBuffer(obj, view, writable ? PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS
                                               : PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->len % itemsize || (items >= 0 && view->len != items * itemsize)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd items of %zd bytes, got %zd bytes", what,
                     items, itemsize, view->len);
        PyBuffer_Release(view);
        view->obj = NULL;
        return -1;
    }
    return 0;
}

/* texts, keys (uint64 per text), (bits, bigrams, affix), lexicon keys (uint64), valences (f32) */
static int common_parse(PyObject *texts, PyObject *keys, PyObject *spec, PyObject *lex_keys,
                        PyObject *lex_valences, Common *c) {
    memset(c, 0, sizeof(*c));
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "texts must be a list of str");
        return -1;
    }
    if (!PyArg_ParseTuple(spec, "iii", &c->spec.bits, &c->spec.bigrams, &c->spec.affix))
        return -1;
    if (c->spec.bits < 8 || c->spec.bits > 26 || c->spec.affix < 0 || c->spec.affix > 16) {
        PyErr_SetString(PyExc_ValueError, "bits must be 8..26 and affix 0..16");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    if (get_buffer(keys, &c->keys, 8, n, 0, "keys") < 0 ||
        get_buffer(lex_keys, &c->lex_keys, 8, -1, 0, "lexicon keys") < 0 ||
        get_buffer(lex_valences, &c->lex_valences, 4, c->lex_keys.len / 8, 0,
                   "lexicon valences") < 0) {
        common_release(c);
        return -1;
    }
    Py_ssize_t size = c->lex_keys.len / 8;
    if (size & (size - 1)) {
        PyErr_SetString(PyExc_ValueError, "the lexicon table size must be a power of two");
        common_release(c);
        return -1;
    }
    c->lex.keys = c->lex_keys.buf;
    c->lex.valences = c->lex_valences.buf;
    c->lex.size = size;
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < size) bits++;
    c->lex.shift = 64 - bits;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(texts, i))) {
            PyErr_SetString(PyExc_TypeError, "texts must be a list of str");
            common_release(c);
            return -1;
        }
    }
    return 0;
}

PyDoc_STRVAR(predict_doc,
             "predict(texts, keys, spec, lexicon_keys, lexicon_valences, table, params, "
             "classes_out, scores_out)\n\n"
             "Score each text: class index (int32: 0 negative, 1 neutral, 2 positive) and\n"
             "P(positive) - P(negative) (float32) into the two writable buffers. `table` is\n"
             "int8 (2 << bits), `params` float64 [scale, bias neutral, bias positive,\n"
             "4 dense weights neutral, 4 dense weights positive], all relative to negative.");

static PyObject *predict(PyObject *self, PyObject *args) {
    PyObject *texts, *keys, *spec, *lex_keys, *lex_valences, *table_obj, *params_obj, *classes_obj,
        *scores_obj;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO", &texts, &keys, &spec, &lex_keys, &lex_valences,
                          &table_obj, &params_obj, &classes_obj, &scores_obj))
        return NULL;
    Common c;
    if (common_parse(texts, keys, spec, lex_keys, lex_valences, &c) < 0) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    Py_buffer table = {0}, params = {0}, classes = {0}, scores = {0};
    PyObject *result = NULL;
    Scratch s = {0};
    if (get_buffer(table_obj, &table, 1, (Py_ssize_t)2 << c.spec.bits, 0, "table") < 0 ||
        get_buffer(params_obj, &params, 8, N_PARAMS, 0, "params") < 0 ||
        get_buffer(classes_obj, &classes, 4, n, 1, "classes_out") < 0 ||
        get_buffer(scores_obj, &scores, 4, n, 1, "scores_out") < 0)
        goto done;
    const double *pr = params.buf;
    const uint64_t *key = c.keys.buf;
    int32_t *class_out = classes.buf;
    float *score_out = scores.buf;
    Sink k = {.shift = 64 - c.spec.bits, .table = table.buf};
    for (Py_ssize_t i = 0; i < n; i++) {
        double dense[N_DENSE];
        k.key = key[i];
        k.sum[0] = k.sum[1] = 0;
        k.count = 0;
        if (featurize(PyList_GET_ITEM(texts, i), &c.spec, &c.lex, &s, &k, dense) < 0) {
            PyErr_NoMemory();
            goto done;
        }
        double norm = k.count ? pr[0] / sqrt((double)k.count) : 0.0;
        double z1 = pr[1] + norm * k.sum[0], z2 = pr[2] + norm * k.sum[1];
        for (int d = 0; d < N_DENSE; d++) {
            z1 += dense[d] * pr[3 + d];
            z2 += dense[d] * pr[3 + N_DENSE + d];
        }
        /* softmax of (0, z1, z2), shifted by its maximum so exp cannot overflow */
        double top = z1 > z2 ? z1 : z2;
        if (top < 0) top = 0;
        double e0 = top > 0 ? exp(-top) : 1.0, e1 = z1 == top ? 1.0 : exp(z1 - top),
               e2 = z2 == top ? 1.0 : exp(z2 - top);
        class_out[i] = (z1 > 0 || z2 > 0) ? (z2 > z1 ? 2 : 1) : 0;
        score_out[i] = (float)((e2 - e0) / (e0 + e1 + e2));
    }
    result = Py_NewRef(Py_None);
done:
    if (table.obj) PyBuffer_Release(&table);
    if (params.obj) PyBuffer_Release(&params);
    if (classes.obj) PyBuffer_Release(&classes);
    if (scores.obj) PyBuffer_Release(&scores);
    common_release(&c);
    sentiment_release(&s);
    return result;
}

PyDoc_STRVAR(features_doc,
             "features(texts, keys, spec, lexicon_keys, lexicon_valences)\n"
             "-> (offsets, columns, dense): bytes of int64 (n + 1), int32 and float64 (n x 4).\n\n"
             "Text i's features are columns[offsets[i]:offsets[i + 1]], each of value\n"
             "1 / sqrt(its count): exactly what `predict` sums.");

static PyObject *features(PyObject *self, PyObject *args) {
    PyObject *texts, *keys, *spec, *lex_keys, *lex_valences;
    if (!PyArg_ParseTuple(args, "OOOOO", &texts, &keys, &spec, &lex_keys, &lex_valences))
        return NULL;
    Common c;
    if (common_parse(texts, keys, spec, lex_keys, lex_valences, &c) < 0) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    Scratch s = {0};
    Sink k = {.shift = 64 - c.spec.bits, .collect = 1};
    PyObject *result = NULL;
    int64_t *offsets = PyMem_Malloc((n + 1) * sizeof(int64_t));
    double *dense = PyMem_Malloc((n * N_DENSE + 1) * sizeof(double));
    if (!offsets || !dense) {
        PyErr_NoMemory();
        goto done;
    }
    offsets[0] = 0;
    const uint64_t *key = c.keys.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        k.key = key[i];
        if (featurize(PyList_GET_ITEM(texts, i), &c.spec, &c.lex, &s, &k, dense + i * N_DENSE) <
            0) {
            PyErr_NoMemory();
            goto done;
        }
        offsets[i + 1] = k.used;
    }
    result = Py_BuildValue("y#y#y#", (const char *)offsets, (n + 1) * (Py_ssize_t)sizeof(int64_t),
                           (const char *)k.columns, k.used * (Py_ssize_t)sizeof(int32_t),
                           (const char *)dense, n * N_DENSE * (Py_ssize_t)sizeof(double));
done:
    PyMem_Free(offsets);
    PyMem_Free(dense);
    PyMem_Free(k.columns);
    common_release(&c);
    sentiment_release(&s);
    return result;
}

PyDoc_STRVAR(token_keys_doc,
             "token_keys(strings) -> bytes of uint64: each string's hash as one token, the\n"
             "key lexicon entries and language codes are looked up by.");

static PyObject *token_keys(PyObject *self, PyObject *strings) {
    if (!PyList_Check(strings)) {
        PyErr_SetString(PyExc_TypeError, "strings must be a list of str");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(strings);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(uint64_t));
    if (!out) return NULL;
    uint64_t *keys = (uint64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(strings, i);
        if (!PyUnicode_Check(item)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "strings must be a list of str");
            return NULL;
        }
        int kind = PyUnicode_KIND(item);
        const void *data = PyUnicode_DATA(item);
        uint64_t h = FNV_OFFSET;
        for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(item); j++)
            h = (h ^ PyUnicode_READ(kind, data, j)) * FNV_PRIME;
        keys[i] = mix64(h);
    }
    return out;
}

PyDoc_STRVAR(tokens_doc, "tokens(text) -> list of str: the cleaned tokens (for tests and docs).");

static PyObject *tokens(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be a str");
        return NULL;
    }
    Scratch s = {0};
    if (sentiment_grow(&s, PyUnicode_GET_LENGTH(text)) < 0) return PyErr_NoMemory();
    Py_ssize_t n_tok = sentiment_tokenize(text, 0, &s);
    PyObject *list = PyList_New(n_tok);
    for (Py_ssize_t t = 0; list && t < n_tok; t++) {
        PyObject *word = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND,
                                                   s.points + s.tokens[t].start, s.tokens[t].len);
        if (!word) Py_CLEAR(list);
        else PyList_SET_ITEM(list, t, word);
    }
    sentiment_release(&s);
    return list;
}

static PyMethodDef methods[] = {
    {"predict", predict, METH_VARARGS, predict_doc},
    {"features", features, METH_VARARGS, features_doc},
    {"token_keys", token_keys, METH_O, token_keys_doc},
    {"tokens", tokens, METH_O, tokens_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sentiment",
    "Stream sentiment: cleaning, hashed features and an int8 linear model in C.", -1, methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__sentiment(void) {
    sentiment_fill_classes();
    return PyModule_Create(&module);
}
