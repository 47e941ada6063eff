/* Batch matching of posts against many monitors' queries (see batch.py, which compiles them).

A batch of at most MAX_POSTS posts is read once, one code point at a time: each text is folded
(case and accents, with per-code-point tables that batch.py derives from words.fold, so there
is one definition), links are blanked, words are cut where words.WORD would cut them, and each
word, word prefix, hashtag, language, author and host is looked up in one hash table of the keys
the monitors name. What a monitor asks of the batch is then a set of posts, one bit each, and
every query is evaluated once for the whole batch with bitwise AND, OR and NOT. Phrases, NEAR
and url: are checked post by post on the words and addresses kept from the reading, only for
the posts the rest of their query leaves.

A text whose folding depends on context (a mark that normalization would reorder or compose
with its neighbour, a code point beyond the tables) is not guessed at: it is given back and
Python matches it the per-post way.

This file holds what Python sees: the module, its Engine type (setting an engine up, running
a batch, the words of a post) and the tables, with the checks of everything batch.py passes
and the engine's memory from set-up to release. scan_text.c reads a text into keys,
scan_eval.c evaluates the queries, scan.h is what they share.
*/
#include "scan.h"

uint32_t *scan_fold_info;
uint8_t *scan_flags;
uint8_t *scan_combining;
uint32_t *scan_folds;

int scan_reserve(Buffer *buffer, size_t more) {
    size_t capacity = buffer->capacity ? buffer->capacity : 1024;
    while (capacity < buffer->length + more) capacity *= 2;
    uint32_t *data = PyMem_Realloc(buffer->data, capacity * sizeof(uint32_t));
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = data;
    buffer->capacity = capacity;
    return 0;
}

static PyObject *Engine_run(Engine *engine, PyObject *args) {
    PyObject *texts, *languages, *authors, *urls;
    Py_buffer extra;
    if (!PyArg_ParseTuple(args, "O!O!O!O!y*", &PyList_Type, &texts, &PyList_Type, &languages,
                          &PyList_Type, &authors, &PyList_Type, &urls, &extra))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(texts);
    PyObject *results = NULL, *complex = NULL;
    if (PyList_GET_SIZE(languages) != count || PyList_GET_SIZE(authors) != count ||
        PyList_GET_SIZE(urls) != count) {
        PyErr_SetString(PyExc_ValueError, "one language, author and url per text");
        goto done;
    }
    if (count > MAX_POSTS) {
        PyErr_SetString(PyExc_ValueError, "too many posts for one batch");
        goto done;
    }
    if (engine->slots == NULL || engine->key_bits == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the engine was not set up");
        goto done;
    }
    if (engine->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the engine is matching another batch");
        goto done;
    }
    engine->busy = 1;
    engine->post_count = 0;
    engine->addresses.length = 0;
    memset(engine->key_bits, 0, sizeof(Bits) * (size_t)(engine->key_count ? engine->key_count : 1));
    memset(engine->wildcard_bits, 0,
           sizeof(Bits) * (size_t)(engine->wildcard_count ? engine->wildcard_count : 1));
    engine->folded.length = engine->spans.length = engine->scratch.length = 0;
    engine->word_keys.length = engine->hits.length = engine->arena.length = 0;
    complex = PyList_New(0);
    results = PyList_New(count);
    if (complex == NULL || results == NULL) goto failed;
    Bits mask = {{0}};
    for (Py_ssize_t post = 0; post < count; post++) {
        PyObject *list = PyList_New(0);
        if (list == NULL) goto failed;
        PyList_SET_ITEM(results, post, list);
        PyObject *text = PyList_GET_ITEM(texts, post);
        engine->first_span[post] = (Py_ssize_t)(engine->spans.length / 2);
        engine->first_hit[post] = (Py_ssize_t)(engine->hits.length / 2);
        engine->address_start[post] = engine->addresses.length;
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto failed;
        }
        size_t start = engine->folded.length;
        int outcome = scan_fold_text(engine, text);
        if (outcome < 0) goto failed;
        if (outcome == 1) {
            engine->folded.length = start;
            PyObject *number = PyLong_FromSsize_t(post);
            if (number == NULL || PyList_Append(complex, number) < 0) {
                Py_XDECREF(number);
                goto failed;
            }
            Py_DECREF(number);
            continue;
        }
        if (scan_words(engine, post, start) < 0) goto failed;
        if (engine->has_tags && scan_tags(engine, text, post) < 0) goto failed;
        if (engine->has_languages &&
            scan_field(engine, K_LANG, PyList_GET_ITEM(languages, post), post) < 0)
            goto failed;
        if (engine->has_authors &&
            scan_field(engine, K_AUTHOR, PyList_GET_ITEM(authors, post), post) < 0)
            goto failed;
        if ((engine->has_sites || engine->has_urls) &&
            scan_address(engine, PyList_GET_ITEM(urls, post), post) < 0)
            goto failed;
        set_bit(&mask, post);
    }
    engine->first_span[count] = (Py_ssize_t)(engine->spans.length / 2);
    engine->first_hit[count] = (Py_ssize_t)(engine->hits.length / 2);
    engine->address_start[count] = engine->addresses.length;
    engine->post_count = count;
    /* keys Python found (languages, authors, mentions, hashtags given with the post) */
    const int32_t *pairs = extra.buf;
    Py_ssize_t pair_count = extra.len / (Py_ssize_t)(2 * sizeof(int32_t));
    for (Py_ssize_t n = 0; n < pair_count; n++) {
        int32_t key = pairs[2 * n], post = pairs[2 * n + 1];
        if (key < 0 || key >= engine->key_count || post < 0 || post >= count) {
            PyErr_SetString(PyExc_ValueError, "extra key out of range");
            goto failed;
        }
        set_bit(&engine->key_bits[key], post);
    }
    int failed_call = 0;
    for (Py_ssize_t monitor = 0; monitor < engine->monitor_count; monitor++) {
        const int32_t *program = engine->program + engine->starts[monitor];
        Bits found = scan_evaluate(engine, program, mask, &failed_call);
        if (failed_call) goto failed;
        PyObject *id = PyList_GET_ITEM(engine->ids, monitor);
        for (int k = 0; k < WORDS_PER_SET; k++) {
            uint64_t word = found.w[k];
            while (word) {
                int bit = __builtin_ctzll(word);
                word &= word - 1;
                if (PyList_Append(PyList_GET_ITEM(results, k * 64 + bit), id) < 0) goto failed;
            }
        }
    }
    engine->busy = 0;
    PyBuffer_Release(&extra);
    PyObject *pair = PyTuple_Pack(2, results, complex);
    Py_DECREF(results);
    Py_DECREF(complex);
    return pair;
failed:
    engine->busy = 0;
done:
    Py_XDECREF(results);
    Py_XDECREF(complex);
    PyBuffer_Release(&extra);
    return NULL;
}

static PyObject *Engine_words(Engine *engine, PyObject *arg) {
    Py_ssize_t post = PyLong_AsSsize_t(arg);
    if (post == -1 && PyErr_Occurred()) return NULL;
    if (engine->busy || post < 0 || post >= engine->post_count) {
        PyErr_SetString(PyExc_ValueError, "words are read of a post of the last batch");
        return NULL;
    }
    Py_ssize_t first = engine->first_span[post], last = engine->first_span[post + 1];
    PyObject *list = PyList_New(last - first);
    if (list == NULL) return NULL;
    for (Py_ssize_t n = first; n < last; n++) {
        PyObject *word = PyUnicode_FromKindAndData(
            PyUnicode_4BYTE_KIND, engine->folded.data + engine->spans.data[2 * n],
            engine->spans.data[2 * n + 1]);
        if (word == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, n - first, word);
    }
    return list;
}

/* Code points of a str into a buffer; returns the offset, or -1. */
static Py_ssize_t store(Buffer *buffer, PyObject *text, int wildcard) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        return -1;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (grow(buffer, (size_t)length + 1) < 0) return -1;
    Py_ssize_t offset = (Py_ssize_t)buffer->length;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t at = 0; at < length; at++) {
        Py_UCS4 point = PyUnicode_READ(kind, data, at);
        if (wildcard && point == '*') point = STAR;
        else if (wildcard && point == '?') point = ANY_ONE;
        buffer->data[buffer->length++] = point;
    }
    return offset;
}

static int Engine_init(Engine *engine, PyObject *args, PyObject *kwargs) {
    PyObject *keys, *wildcards, *prefix_lists, *unanchored, *starts, *ids, *url_values;
    Py_buffer program;
    int key_count, has_tags;
    if (scan_fold_info == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_scan.set_tables was not called");
        return -1;
    }
    if (engine->slots != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "an engine is set up once");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!iO!O!O!O!pO!y*O!", &PyList_Type, &keys, &key_count,
                          &PyList_Type, &wildcards, &PyList_Type, &prefix_lists, &PyList_Type,
                          &unanchored, &PyList_Type, &url_values, &has_tags, &PyList_Type,
                          &starts, &program, &PyList_Type, &ids))
        return -1;
    int result = -1;
    Py_ssize_t entries = PyList_GET_SIZE(keys);
    uint64_t capacity = 16;
    while (capacity < (uint64_t)entries * 3) capacity *= 2;
    engine->slots = PyMem_Malloc(capacity * sizeof(Slot));
    engine->slot_mask = capacity - 1;
    engine->key_count = key_count;
    engine->has_tags = has_tags;
    if (engine->slots == NULL) goto out;
    for (uint64_t k = 0; k < capacity; k++) engine->slots[k].kind = -1;
    for (Py_ssize_t n = 0; n < entries; n++) {
        int kind, value;
        PyObject *text;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(keys, n), "iUi", &kind, &text, &value)) goto out;
        Py_ssize_t offset = store(&engine->pool, text, 0);
        if (offset < 0) goto out;
        uint32_t length = (uint32_t)PyUnicode_GET_LENGTH(text);
        uint64_t running = HASH_START;
        for (uint32_t k = 0; k < length; k++)
            running = step(running, engine->pool.data[offset + k]);
        if (lookup(engine, kind, running, engine->pool.data + offset, length) != NULL) {
            PyErr_SetString(PyExc_ValueError, "a key is given twice");
            goto out;
        }
        uint64_t hash = finish(running, kind);
        uint64_t at = hash & engine->slot_mask;
        while (engine->slots[at].kind >= 0) at = (at + 1) & engine->slot_mask;
        engine->slots[at] = (Slot){hash, (uint32_t)offset, length, kind, value};
        engine->filter[(hash >> 48) >> 6] |= (uint64_t)1 << ((hash >> 48) & 63);
        if (kind == K_PREFIX && length >= 1 && length <= MAX_PREFIX)
            engine->prefix_lengths |= 1u << length;
        engine->has_languages |= kind == K_LANG;
        engine->has_authors |= kind == K_AUTHOR;
        engine->has_sites |= kind == K_SITE;
    }
    engine->url_count = (int)PyList_GET_SIZE(url_values);
    engine->has_urls = engine->url_count > 0;
    engine->url_offset = PyMem_Malloc(sizeof(int32_t) * (engine->url_count + 1));
    engine->url_length = PyMem_Malloc(sizeof(int32_t) * (engine->url_count + 1));
    if (engine->url_offset == NULL || engine->url_length == NULL) goto out;
    for (int n = 0; n < engine->url_count; n++) {
        PyObject *value = PyList_GET_ITEM(url_values, n);
        Py_ssize_t offset = store(&engine->pool, value, 0);
        if (offset < 0) goto out;
        engine->url_offset[n] = (int32_t)offset;
        engine->url_length[n] = (int32_t)PyUnicode_GET_LENGTH(value);
    }
    engine->wildcard_count = (int)PyList_GET_SIZE(wildcards);
    engine->wildcard_offset = PyMem_Malloc(sizeof(uint32_t) * (engine->wildcard_count + 1));
    engine->wildcard_length = PyMem_Malloc(sizeof(uint32_t) * (engine->wildcard_count + 1));
    if (engine->wildcard_offset == NULL || engine->wildcard_length == NULL) goto out;
    for (int n = 0; n < engine->wildcard_count; n++) {
        PyObject *pattern = PyList_GET_ITEM(wildcards, n);
        Py_ssize_t offset = store(&engine->patterns, pattern, 1);
        if (offset < 0) goto out;
        engine->wildcard_offset[n] = (uint32_t)offset;
        engine->wildcard_length[n] = (uint32_t)PyUnicode_GET_LENGTH(pattern);
    }
    /* prefix_lists: list of lists of wildcard ids; a K_PREFIX key's value is its offset here */
    Py_ssize_t lists = PyList_GET_SIZE(prefix_lists);
    for (Py_ssize_t n = 0; n < lists; n++) {
        PyObject *list = PyList_GET_ITEM(prefix_lists, n);
        if (!PyList_Check(list)) goto bad;
        if (grow(&engine->prefix_pool, (size_t)PyList_GET_SIZE(list) + 1) < 0) goto out;
        engine->prefix_pool.data[engine->prefix_pool.length++] = (uint32_t)PyList_GET_SIZE(list);
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(list); k++) {
            long id = PyLong_AsLong(PyList_GET_ITEM(list, k));
            if (id < 0 || id >= engine->wildcard_count) goto bad;
            engine->prefix_pool.data[engine->prefix_pool.length++] = (uint32_t)id;
        }
    }
    engine->prefix_lists = (int32_t *)engine->prefix_pool.data;
    engine->unanchored_count = (int)PyList_GET_SIZE(unanchored);
    engine->unanchored = PyMem_Malloc(sizeof(int32_t) * (engine->unanchored_count + 1));
    if (engine->unanchored == NULL) goto out;
    for (int n = 0; n < engine->unanchored_count; n++) {
        long id = PyLong_AsLong(PyList_GET_ITEM(unanchored, n));
        if (id < 0 || id >= engine->wildcard_count) goto bad;
        engine->unanchored[n] = (int32_t)id;
    }
    engine->program_length = program.len / (Py_ssize_t)sizeof(int32_t);
    engine->program = PyMem_Malloc(sizeof(int32_t) * (engine->program_length + 1));
    if (engine->program == NULL) goto out;
    memcpy(engine->program, program.buf, program.len);
    engine->monitor_count = PyList_GET_SIZE(starts);
    if (engine->monitor_count != PyList_GET_SIZE(ids)) goto bad;
    engine->starts = PyMem_Malloc(sizeof(Py_ssize_t) * (engine->monitor_count + 1));
    if (engine->starts == NULL) goto out;
    for (Py_ssize_t n = 0; n < engine->monitor_count; n++) {
        Py_ssize_t start = PyLong_AsSsize_t(PyList_GET_ITEM(starts, n));
        if (start < 0 || start >= engine->program_length) goto bad;
        engine->starts[n] = start;
    }
    /* batch.py writes the programs; a wrong one should fail here, not read out of bounds */
    for (Py_ssize_t at = 0; at + 4 <= engine->program_length; at += 4) {
        const int32_t *node = engine->program + at;
        if (node[0] < OP_KEY || node[0] > OP_LAST || node[2] < 0 || node[3] < 4 ||
            at + node[3] > engine->program_length)
            goto bad;
        if ((node[0] == OP_KEY || node[0] == P_TERM) && (node[1] < 0 || node[1] >= key_count))
            goto bad;
        if ((node[0] == OP_WILD || node[0] == P_WILD) &&
            (node[1] < 0 || node[1] >= engine->wildcard_count))
            goto bad;
        if (node[0] == P_NEAR && (node[1] < 0 || node[2] != 2)) goto bad;
        if (node[0] == OP_URL && (node[1] < 0 || node[1] >= engine->url_count)) goto bad;
    }
    engine->key_bits = PyMem_Calloc((size_t)(key_count ? key_count : 1), sizeof(Bits));
    engine->wildcard_bits =
        PyMem_Calloc((size_t)(engine->wildcard_count ? engine->wildcard_count : 1), sizeof(Bits));
    if (engine->key_bits == NULL || engine->wildcard_bits == NULL) goto out;
    Py_INCREF(ids);
    engine->ids = ids;
    result = 0;
    goto out;
bad:
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "malformed engine description");
out:
    if (result < 0 && !PyErr_Occurred()) PyErr_NoMemory();
    PyBuffer_Release(&program);
    return result;
}

static void Engine_dealloc(Engine *engine) {
    PyMem_Free(engine->slots);
    PyMem_Free(engine->pool.data);
    PyMem_Free(engine->wildcard_offset);
    PyMem_Free(engine->wildcard_length);
    PyMem_Free(engine->patterns.data);
    PyMem_Free(engine->prefix_pool.data);
    PyMem_Free(engine->unanchored);
    PyMem_Free(engine->program);
    PyMem_Free(engine->starts);
    PyMem_Free(engine->key_bits);
    PyMem_Free(engine->wildcard_bits);
    PyMem_Free(engine->folded.data);
    PyMem_Free(engine->spans.data);
    PyMem_Free(engine->scratch.data);
    PyMem_Free(engine->word_keys.data);
    PyMem_Free(engine->hits.data);
    PyMem_Free(engine->arena.data);
    PyMem_Free(engine->addresses.data);
    PyMem_Free(engine->url_offset);
    PyMem_Free(engine->url_length);
    Py_XDECREF(engine->ids);
    Py_TYPE(engine)->tp_free((PyObject *)engine);
}

static PyMethodDef Engine_methods[] = {
    {"run", (PyCFunction)Engine_run, METH_VARARGS,
     "run(texts, languages, authors, urls, extra_pairs) -> (ids per post, indices of the posts "
     "left to Python)"},
    {"words", (PyCFunction)Engine_words, METH_O,
     "words(post) -> the folded words of a post of the last batch"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kalrav.listening.query._scan.Engine",
    .tp_basicsize = sizeof(Engine),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Engine_init,
    .tp_dealloc = (destructor)Engine_dealloc,
    .tp_methods = Engine_methods,
};

static void *copied(Py_buffer *view, Py_ssize_t expected) {
    if (expected >= 0 && view->len != expected) {
        PyErr_SetString(PyExc_ValueError, "table of the wrong size");
        return NULL;
    }
    void *copy = PyMem_Malloc(view->len ? (size_t)view->len : 1);
    if (copy == NULL) return PyErr_NoMemory();
    memcpy(copy, view->buf, view->len);
    return copy;
}

static PyObject *set_tables(PyObject *module, PyObject *args) {
    Py_buffer views[4];
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &views[0], &views[1], &views[2], &views[3]))
        return NULL;
    PyObject *result = NULL;
    if (scan_fold_info != NULL) {
        result = Py_None; /* set once per process: engines point into them */
        Py_INCREF(result);
        goto out;
    }
    uint32_t *new_fold = copied(&views[0], LIMIT * 4);
    uint8_t *new_flags = new_fold ? copied(&views[1], LIMIT) : NULL;
    uint8_t *new_combining = new_flags ? copied(&views[2], LIMIT) : NULL;
    uint32_t *new_folds = new_combining ? copied(&views[3], -1) : NULL;
    if (new_folds == NULL) {
        PyMem_Free(new_fold);
        PyMem_Free(new_flags);
        PyMem_Free(new_combining);
        goto out;
    }
    scan_fold_info = new_fold;
    scan_flags = new_flags;
    scan_combining = new_combining;
    scan_folds = new_folds;
    result = Py_None;
    Py_INCREF(result);
out:
    for (int k = 0; k < 4; k++) PyBuffer_Release(&views[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"set_tables", set_tables, METH_VARARGS,
     "set_tables(fold_info, flags, combining, folds): the per-code-point tables, once"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__scan(void) {
    if (PyType_Ready(&EngineType) < 0) return NULL;
    PyObject *created = PyModule_Create(&module);
    if (created == NULL) return NULL;
    if (PyModule_AddIntConstant(created, "LIMIT", LIMIT) < 0 ||
        PyModule_AddIntConstant(created, "MAX_POSTS", MAX_POSTS) < 0 ||
        PyModule_AddIntConstant(created, "MAX_PREFIX", MAX_PREFIX) < 0) {
        Py_DECREF(created);
        return NULL;
    }
    Py_INCREF(&EngineType);
    if (PyModule_AddObject(created, "Engine", (PyObject *)&EngineType) < 0) {
        Py_DECREF(&EngineType);
        Py_DECREF(created);
        return NULL;
    }
    return created;
}
