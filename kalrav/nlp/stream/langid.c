/* Language identification for whole streams: one pass over each text's code points.
 *
 * The pass drops what kalrav.nlp.textprep.strip_noise drops (links, mentions, hashtags, HTML
 * entities, emoji; "\uXXXX" escapes are read as the character meant), counts the characters of
 * each script as textprep.script_counts does, and feeds the lower-cased Latin letters of each
 * word to a linear model over hashed character n-grams (1 to 4, with the word's edges) and whole
 * words. The weights come from Python once per call through the buffer protocol: an int8 table
 * of [buckets][8] (8 classes at most, so one row is one 8-byte load), a float scale and 8 float
 * biases. Training reads the same features through `features`, so both see exactly one scheme.
 *
 * Scripts are routed by a table the caller builds from its configured languages: a fixed label
 * (a script only one configured language writes), the Latin model, the Arabic rule (Urdu-only
 * letters), "und", or "ask the portable identifier" (label -1).
 *
 * langid_text.c holds the scan (what a text is read into); this file the module: detect, which
 * routes each text by its main script and scores the Latin model, and features, the training
 * side. langid.h is what the two share.
 */
#include "langid.h"

#include <math.h>

enum { ROUTE_FALLBACK = -1, ROUTE_LATIN = -2, ROUTE_ARABIC = -3 };

/* The script with most characters (the first in the table's order on a tie, as Python's max
 * over textprep.SCRIPTS), and its share of the counted characters; S_NONE when no letter. */
static int main_script(const Stats *stats, float *share) {
    uint32_t total = 0, best = 0;
    int which = S_NONE;
    for (int s = S_LATN; s < N_SCRIPTS; s++) {
        total += stats->scripts[s];
        if (stats->scripts[s] > best) {
            best = stats->scripts[s];
            which = s;
        }
    }
    if (!stats->letters || which == S_NONE) {
        *share = 0.0f;
        return S_NONE;
    }
    *share = (float)best / (float)total;
    return which;
}

static int get_texts(PyObject *texts, PyObject **fast) {
    *fast = PySequence_Fast(texts, "texts must be a sequence of str");
    if (!*fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(*fast);
    PyObject **items = PySequence_Fast_ITEMS(*fast);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_Check(items[i])) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is %.80s, not str", i,
                         Py_TYPE(items[i])->tp_name);
            Py_DECREF(*fast);
            return -1;
        }
#if PY_VERSION_HEX < 0x030c0000
        if (PyUnicode_READY(items[i]) < 0) { /* a str built by the legacy C API */
            Py_DECREF(*fast);
            return -1;
        }
#endif
    }
    return 0;
}

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t length, Py_ssize_t itemsize,
                      int writable, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->len != length * itemsize) {
        PyErr_Format(PyExc_ValueError, "%s holds %zd bytes, %zd expected", name, view->len,
                     length * itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int bits_of(Py_ssize_t buckets) {
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < buckets) bits++;
    return ((Py_ssize_t)1 << bits) == buckets && bits >= 8 && bits <= 24 ? bits : -1;
}

PyDoc_STRVAR(detect_doc,
"detect(texts, max_chars, weights, scale, bias, class_labels, routes, vocabulary, unknown_share,\n"
"       labels, confidences)\n\n"
"weights: int8 [2**bits][8]; scale: float; bias: float32[8]; class_labels: int32[8], each Latin\n"
"class's label, 0 when it competes but answers \"und\", -1 when it does not compete;\n"
"routes: int32[13]: per script (none Latn Deva Beng Gujr Grek Arab Taml Cyrl) a label >= 0,\n"
"-1 (portable identifier), -2 (Latin model) or -3 (Arabic rule); then the labels of ar and ur,\n"
"the Urdu-only letters that make ur, and the Latin class of romanized Hindi, which needs\n"
"unknown_share of its words outside the vocabulary bitset (empty: no test).\n"
"Fills labels (int32[n]; -1: ask the portable identifier) and confidences (float32[n]).");

/* The best class of `scores` among those with a label (all when `labels` is NULL) but `skip`. */
static int best_class(const float *scores, const int32_t *labels, int skip) {
    float best = -INFINITY;
    int which = -1;
    for (int k = 0; k < CLASSES; k++) {
        if ((labels && labels[k] < 0) || k == skip) continue;
        if (scores[k] > best) {
            best = scores[k];
            which = k;
        }
    }
    return which;
}

/* The softmax probability of class `which` among the same classes. */
static float probability(const float *scores, const int32_t *labels, int skip, int which) {
    if (which < 0) return 0.0f;
    float total = 0.0f;
    for (int k = 0; k < CLASSES; k++) {
        if ((labels && labels[k] < 0) || k == skip) continue;
        total += expf(scores[k] - scores[which]);
    }
    return 1.0f / total;
}

static PyObject *detect(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *texts, *weights_obj, *bias_obj, *classes_obj, *routes_obj, *vocabulary_obj;
    PyObject *labels_obj, *conf_obj;
    Py_ssize_t max_chars;
    double scale, unknown_share;
    if (!PyArg_ParseTuple(args, "OnOdOOOOdOO", &texts, &max_chars, &weights_obj, &scale,
                          &bias_obj, &classes_obj, &routes_obj, &vocabulary_obj, &unknown_share,
                          &labels_obj, &conf_obj))
        return NULL;
    PyObject *fast;
    if (get_texts(texts, &fast) < 0) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    Py_buffer weights = {0}, bias = {0}, classes = {0}, routes = {0}, vocabulary = {0};
    Py_buffer labels = {0}, conf = {0};
    PyObject *result = NULL;
    if (PyObject_GetBuffer(weights_obj, &weights, PyBUF_C_CONTIGUOUS) < 0) goto done;
    int bits = bits_of(weights.len / CLASSES);
    if (bits < 0 || weights.len % CLASSES) {
        PyErr_SetString(PyExc_ValueError, "weights must be [2**bits][8] int8, 8 <= bits <= 24");
        goto done;
    }
    if (get_buffer(bias_obj, &bias, CLASSES, sizeof(float), 0, "bias") < 0 ||
        get_buffer(classes_obj, &classes, CLASSES, sizeof(int32_t), 0, "class_labels") < 0 ||
        get_buffer(routes_obj, &routes, N_SCRIPTS + 4, sizeof(int32_t), 0, "routes") < 0 ||
        PyObject_GetBuffer(vocabulary_obj, &vocabulary, PyBUF_C_CONTIGUOUS) < 0 ||
        get_buffer(labels_obj, &labels, count, sizeof(int32_t), 1, "labels") < 0 ||
        get_buffer(conf_obj, &conf, count, sizeof(float), 1, "confidences") < 0)
        goto done;
    const float *b = bias.buf;
    const int32_t *class_label = classes.buf, *route = routes.buf;
    int32_t *out_label = labels.buf;
    float *out_conf = conf.buf;
    int vocabulary_bits = vocabulary.len ? bits_of(vocabulary.len * 8) : 0;
    if (vocabulary_bits < 0) {
        PyErr_SetString(PyExc_ValueError, "vocabulary must be a bitset of 2**k bits, 8 <= k <= 24");
        goto done;
    }
    Sink sink = {weights.buf, (uint32_t)(32 - bits), {0}, NULL, 0, 0, 0, {0}, {0}, 0};
    if (vocabulary.len) {
        sink.vocabulary = vocabulary.buf;
        sink.vocabulary_shift = (uint32_t)(32 - vocabulary_bits);
    }
    const int hindi = route[N_SCRIPTS + 3];
    Stats stats;
    for (Py_ssize_t t = 0; t < count; t++) {
        langid_scan_text(items[t], max_chars, &stats, &sink);
        float share;
        int script = main_script(&stats, &share);
        int32_t how = script == S_NONE ? 0 : route[script];
        int32_t label = how;
        float confidence = share;
        if (how == ROUTE_LATIN) {
            float scores[CLASSES];
            for (int k = 0; k < CLASSES; k++) scores[k] = (float)sink.acc[k] * (float)scale + b[k];
            /* Romanized Hindi is decided first, against every class, as the portable
             * identifier's romanized-Hindi classifier is; and only with enough words no other
             * Latin language writes: short English ("Happy birthday!") can look Hindi to the
             * n-grams, and never has them. */
            int hindi_test = class_label[hindi] >= 0 && (!sink.vocabulary ||
                             (sink.words && sink.unknown >= unknown_share * sink.words));
            int which = hindi_test ? best_class(scores, NULL, -1) : -1;
            if (which == hindi) {
                confidence = probability(scores, NULL, -1, which);
            } else {
                which = best_class(scores, class_label, hindi);
                confidence = probability(scores, class_label, hindi, which);
            }
            label = which < 0 ? 0 : class_label[which];
            confidence *= share;
        } else if (how == ROUTE_ARABIC) {
            label = stats.urdu >= (uint32_t)route[N_SCRIPTS + 2] ? route[N_SCRIPTS + 1]
                                                                : route[N_SCRIPTS];
        }
        if (label == 0) confidence = 0.0f;
        out_label[t] = label;
        out_conf[t] = confidence;
    }
    result = Py_NewRef(Py_None);
done:
    if (weights.obj) PyBuffer_Release(&weights);
    if (bias.obj) PyBuffer_Release(&bias);
    if (classes.obj) PyBuffer_Release(&classes);
    if (routes.obj) PyBuffer_Release(&routes);
    if (vocabulary.obj) PyBuffer_Release(&vocabulary);
    if (labels.obj) PyBuffer_Release(&labels);
    if (conf.obj) PyBuffer_Release(&conf);
    Py_DECREF(fast);
    return result;
}

PyDoc_STRVAR(features_doc,
"features(texts, max_chars, bits) -> (buckets, offsets, scripts, urdu, words, word_offsets)\n\n"
"What detect reads, for training: buckets (bytes of uint32) of every text in order, the\n"
"texts' offsets into them (bytes of int64, n + 1), each text's main script index (bytes of\n"
"uint8, 0 when no letter), its count of Urdu-only letters (bytes of uint32), the hashes of its\n"
"Latin words (bytes of uint32) and their offsets (bytes of int64, n + 1).");

static PyObject *features(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *texts;
    Py_ssize_t max_chars;
    int bits;
    if (!PyArg_ParseTuple(args, "Oni", &texts, &max_chars, &bits)) return NULL;
    if (bits < 8 || bits > 24) {
        PyErr_SetString(PyExc_ValueError, "bits must be from 8 to 24");
        return NULL;
    }
    PyObject *fast;
    if (get_texts(texts, &fast) < 0) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    PyObject *result = NULL;
    Sink sink = {NULL, (uint32_t)(32 - bits), {0}, NULL, 0, 0, 0, {0}, {0}, 0};
    int64_t *offsets = PyMem_Malloc((size_t)(count + 1) * sizeof(int64_t));
    int64_t *word_offsets = PyMem_Malloc((size_t)(count + 1) * sizeof(int64_t));
    uint8_t *scripts = PyMem_Malloc((size_t)count + 1);
    uint32_t *urdu = PyMem_Malloc((size_t)(count + 1) * sizeof(uint32_t));
    if (!offsets || !word_offsets || !scripts || !urdu) {
        PyErr_NoMemory();
        goto done;
    }
    Stats stats;
    offsets[0] = word_offsets[0] = 0;
    for (Py_ssize_t t = 0; t < count; t++) {
        langid_scan_text(items[t], max_chars, &stats, &sink);
        if (sink.failed) {
            PyErr_NoMemory();
            goto done;
        }
        float share;
        scripts[t] = (uint8_t)main_script(&stats, &share);
        urdu[t] = stats.urdu;
        offsets[t + 1] = sink.buckets.count;
        word_offsets[t + 1] = sink.word_hashes.count;
    }
    result = Py_BuildValue(
        "(y#y#y#y#y#y#)", sink.buckets.items ? (const char *)sink.buckets.items : "",
        sink.buckets.count * (Py_ssize_t)sizeof(uint32_t), (const char *)offsets,
        (count + 1) * (Py_ssize_t)sizeof(int64_t), (const char *)scripts, count,
        (const char *)urdu, count * (Py_ssize_t)sizeof(uint32_t), sink.word_hashes.items ? (const char *)sink.word_hashes.items : "",
        sink.word_hashes.count * (Py_ssize_t)sizeof(uint32_t), (const char *)word_offsets,
        (count + 1) * (Py_ssize_t)sizeof(int64_t));
done:
    PyMem_Free(sink.buckets.items);
    PyMem_Free(sink.word_hashes.items);
    PyMem_Free(word_offsets);
    PyMem_Free(offsets);
    PyMem_Free(scripts);
    PyMem_Free(urdu);
    Py_DECREF(fast);
    return result;
}

static PyMethodDef methods[] = {
    {"detect", detect, METH_VARARGS, detect_doc},
    {"features", features, METH_VARARGS, features_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_langid", "Native language identification for streams.", -1, methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__langid(void) {
    langid_fill_small_scripts();
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddIntConstant(m, "FEATURE_VERSION", FEATURE_VERSION) < 0 ||
        PyModule_AddIntConstant(m, "CLASSES", CLASSES) < 0 ||
        PyModule_AddIntConstant(m, "SCRIPTS", N_SCRIPTS) < 0 ||
        PyModule_AddIntConstant(m, "VOCABULARY_MULTIPLIER", 0x2c1b3c6d) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
