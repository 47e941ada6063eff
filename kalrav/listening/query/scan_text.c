/* Reading one post into keys, for Engine.run (scan.c): folding its text with the per-code-point
tables (and the NFC check that sends a text back to Python), blanking links, cutting words, and
looking up each word, word prefix (then its wildcards), hashtag, language, author and host.

It is apart from the rest because it is what must agree, code point for code point, with
words.py and parser.py (fold, WORD, _LINK, _HASHTAG, address): a change there is checked
against this file alone. All of it runs once per post, before any query is evaluated.
*/
#include "scan.h"

/* words.WORD run against a wildcard: STAR is any run (a word is all word characters), ANY_ONE
   one code point, anything else itself. */
static int glob(const uint32_t *pattern, uint32_t pattern_length, const uint32_t *word,
                uint32_t word_length) {
    uint32_t p = 0, w = 0, star_p = UINT32_MAX, star_w = 0;
    while (w < word_length) {
        if (p < pattern_length && pattern[p] == STAR) {
            star_p = p++;
            star_w = w;
        } else if (p < pattern_length && (pattern[p] == ANY_ONE || pattern[p] == word[w])) {
            p++;
            w++;
        } else if (star_p != UINT32_MAX) {
            p = star_p + 1;
            w = ++star_w;
        } else {
            return 0;
        }
    }
    while (p < pattern_length && pattern[p] == STAR) p++;
    return p == pattern_length;
}

/* Appends a code point's fold to `out`, which has room for MAX_FOLD more. */
static inline void emit(Buffer *out, uint32_t point) {
    uint32_t info = scan_fold_info[point];
    if (!(info & I_MULTI)) {
        out->data[out->length++] = info & I_POINT;
        return;
    }
    uint32_t count = info & 0xF, offset = (info & 0x0FFFFFFF) >> 4;
    for (uint32_t k = 0; k < count; k++) out->data[out->length++] = scan_folds[offset + k];
}

static inline int starts_with(const uint32_t *text, size_t length, size_t at, const char *ascii) {
    for (size_t k = 0; ascii[k]; k++)
        if (at + k >= length || text[at + k] != (uint32_t)(unsigned char)ascii[k]) return 0;
    return 1;
}

/* words._LINK on the folded text: `(?:https?://|www\.)\S+`, each match blanked. The folded text
   holds no capitals, and the tables send code points that IGNORECASE would equate with these
   letters back to Python, so plain comparison is the regex's. */
static void blank_links(uint32_t *text, size_t length) {
    size_t at = 0;
    while (at < length) {
        size_t end = 0;
        if (text[at] == 'h') {
            if (starts_with(text, length, at, "https://"))
                end = at + 8;
            else if (starts_with(text, length, at, "http://"))
                end = at + 7;
        } else if (text[at] == 'w' && starts_with(text, length, at, "www.")) {
            end = at + 4;
        }
        if (end && end < length && !(scan_flags[text[end]] & F_SPACE)) {
            while (end < length && !(scan_flags[text[end]] & F_SPACE)) end++;
            for (size_t k = at; k < end; k++) text[k] = ' ';
            at = end;
        } else {
            at++;
        }
    }
}

/* The NFC quick check of the folded text, one folded code point at a time: a mark after one
   of a higher class would be reordered, a character that composes with what stands before it
   might be composed. Either way the text goes back to Python (`return 1`). */
#define CHECK(info)                                                                        \
    do {                                                                                   \
        uint32_t class_ = ((info) >> I_CLASS_SHIFT) & 0xFF;                                \
        if (class_) {                                                                      \
            if (previous_class > class_) return 1;                                         \
            if (((info) & I_MAYBE_MARK) && (scan_flags[last_starter] & F_FIRST)) return 1; \
        } else {                                                                           \
            if (((info) & I_MAYBE0) && previous_first) return 1;                           \
            last_starter = (info) & I_POINT;                                               \
        }                                                                                  \
        previous_class = class_;                                                           \
        previous_first = (info) & I_FIRST;                                                 \
    } while (0)

#define FOLD_LOOP(type)                                                                      \
    for (Py_ssize_t at = 0; at < length; at++) {                                             \
        uint32_t point = ((const type *)data)[at];                                           \
        if (point >= LIMIT) return 1;                                                        \
        uint32_t info = scan_fold_info[point];                                               \
        if (info & (I_COMPLEX | I_MULTI)) {                                                  \
            if (info & I_COMPLEX) return 1;                                                  \
            size_t before = out->length;                                                     \
            emit(out, point);                                                                \
            for (size_t k = before; k < out->length; k++) {                                  \
                uint32_t folded = out->data[k];                                              \
                uint32_t own = folded | ((uint32_t)scan_combining[folded] << I_CLASS_SHIFT); \
                if (scan_flags[folded] & F_MAYBE0) own |= I_MAYBE0;                          \
                if (scan_flags[folded] & F_MAYBE_MARK) own |= I_MAYBE_MARK;                  \
                if (scan_flags[folded] & F_FIRST) own |= I_FIRST;                            \
                CHECK(own);                                                                  \
            }                                                                                \
            continue;                                                                        \
        }                                                                                    \
        CHECK(info);                                                                         \
        out->data[out->length++] = info & I_POINT;                                           \
    }

/* Fold one text into engine->folded. Returns 1 when Python must fold it, -1 on error. */
int scan_fold_text(Engine *engine, PyObject *text) {
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Buffer *out = &engine->folded;
    if (grow(out, (size_t)length * MAX_FOLD + 1) < 0) return -1;
    size_t start = out->length;
    if (PyUnicode_IS_ASCII(text)) {
        /* ASCII folds to one ASCII code point, and no check applies to it */
        const Py_UCS1 *ascii = data;
        for (Py_ssize_t at = 0; at < length; at++)
            out->data[out->length++] = scan_fold_info[ascii[at]] & I_POINT;
    } else {
        uint32_t previous_class = 0, last_starter = 0, previous_first = 0;
        switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND:
            FOLD_LOOP(Py_UCS1)
            break;
        case PyUnicode_2BYTE_KIND:
            FOLD_LOOP(Py_UCS2)
            break;
        default:
            FOLD_LOOP(Py_UCS4)
            break;
        }
    }
    blank_links(out->data + start, out->length - start);
    return 0;
}

static int hit(Engine *engine, Py_ssize_t post, uint32_t word, int32_t wildcard) {
    set_bit(&engine->wildcard_bits[wildcard], post);
    if (grow(&engine->hits, 2) < 0) return -1;
    engine->hits.data[engine->hits.length++] = word;
    engine->hits.data[engine->hits.length++] = (uint32_t)wildcard;
    return 0;
}

int scan_words(Engine *engine, Py_ssize_t post, size_t start) {
    Buffer *folded = &engine->folded;
    engine->scratch.length = 0; /* the prefixes of the word being read */
    size_t at = start;
    while (at < folded->length) {
        if (!(scan_flags[folded->data[at]] & F_WORD)) {
            at++;
            continue;
        }
        size_t word_start = at;
        uint64_t hash = HASH_START;
        while (at < folded->length && (scan_flags[folded->data[at]] & F_WORD)) {
            hash = step(hash, folded->data[at]);
            at++;
            size_t letters = at - word_start;
            if (letters <= MAX_PREFIX && (engine->prefix_lengths & (1u << letters))) {
                const Slot *slot = lookup(engine, K_PREFIX, hash, folded->data + word_start,
                                          (uint32_t)letters);
                if (slot != NULL) {
                    /* the word is not finished: the wildcards are tried at its end */
                    if (grow(&engine->scratch, 1) < 0) return -1;
                    engine->scratch.data[engine->scratch.length++] = (uint32_t)slot->value;
                }
            }
        }
        const uint32_t *word = folded->data + word_start;
        uint32_t length = (uint32_t)(at - word_start);
        const Slot *slot = lookup(engine, K_WORD, hash, word, length);
        if (slot != NULL) set_bit(&engine->key_bits[slot->value], post);
        uint32_t index = (uint32_t)(engine->spans.length / 2);
        if (grow(&engine->word_keys, 1) < 0) return -1;
        engine->word_keys.data[engine->word_keys.length++] =
            slot != NULL ? (uint32_t)slot->value : UINT32_MAX;
        for (size_t k = 0; k < engine->scratch.length; k++) {
            const int32_t *list = engine->prefix_lists + engine->scratch.data[k];
            for (int32_t n = 1; n <= list[0]; n++) {
                int32_t id = list[n];
                if (glob(engine->patterns.data + engine->wildcard_offset[id],
                         engine->wildcard_length[id], word, length) &&
                    hit(engine, post, index, id) < 0)
                    return -1;
            }
        }
        engine->scratch.length = 0;
        for (int n = 0; n < engine->unanchored_count; n++) {
            int32_t id = engine->unanchored[n];
            if (glob(engine->patterns.data + engine->wildcard_offset[id],
                     engine->wildcard_length[id], word, length) &&
                hit(engine, post, index, id) < 0)
                return -1;
        }
        if (grow(&engine->spans, 2) < 0) return -1;
        engine->spans.data[engine->spans.length++] = (uint32_t)word_start;
        engine->spans.data[engine->spans.length++] = length;
    }
    return 0;
}

/* words._HASHTAG on the text as written: `(?<![\w\p{M}&])#([\w\p{M}]+)`, then folded. */
int scan_tags(Engine *engine, PyObject *text, Py_ssize_t post) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Buffer *tag = &engine->scratch;
    for (Py_ssize_t at = 0; at + 1 < length; at++) {
        at = PyUnicode_FindChar(text, '#', at, length - 1, 1);
        if (at < 0) break; /* -1: none; -2 cannot happen on a str */
        if (at > 0) {
            Py_UCS4 before = PyUnicode_READ(kind, data, at - 1);
            if (before == '&' || (scan_flags[before] & F_WORD)) continue;
        }
        tag->length = 0;
        Py_ssize_t end = at + 1;
        while (end < length && (scan_flags[PyUnicode_READ(kind, data, end)] & F_WORD)) {
            if (grow(tag, MAX_FOLD) < 0) return -1;
            emit(tag, PyUnicode_READ(kind, data, end));
            end++;
        }
        if (end == at + 1) continue;
        uint64_t hash = HASH_START;
        for (size_t k = 0; k < tag->length; k++) hash = step(hash, tag->data[k]);
        const Slot *slot = lookup(engine, K_TAG, hash, tag->data, (uint32_t)tag->length);
        if (slot != NULL) set_bit(&engine->key_bits[slot->value], post);
        at = end - 1;
    }
    tag->length = 0;
    return 0;
}

/* A language (lang:pt holds for pt-br: the whole and the part before "-") or an author (without
   leading "@"), casefolded as Seen does, looked up as a key of that kind. */
int scan_field(Engine *engine, int kind, PyObject *value, Py_ssize_t post) {
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "languages and authors must be str");
        return -1;
    }
    PyObject *folded = NULL;
    if (!PyUnicode_IS_ASCII(value)) {
        PyObject *stripped =
            kind == K_AUTHOR ? PyObject_CallMethod(value, "lstrip", "s", "@") : Py_NewRef(value);
        if (stripped == NULL) return -1;
        folded = PyObject_CallMethod(stripped, "casefold", NULL);
        Py_DECREF(stripped);
        if (folded == NULL) return -1;
        value = folded;
    }
    int text_kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value), at = 0;
    Buffer *text = &engine->scratch;
    text->length = 0;
    if (grow(text, (size_t)length + 1) < 0) {
        Py_XDECREF(folded);
        return -1;
    }
    if (kind == K_AUTHOR)
        while (at < length && PyUnicode_READ(text_kind, data, at) == '@') at++;
    for (; at < length; at++) {
        Py_UCS4 point = PyUnicode_READ(text_kind, data, at);
        /* casefold is lower() on ASCII; other text was casefolded above */
        if (folded == NULL && point >= 'A' && point <= 'Z') point += 32;
        text->data[text->length++] = point;
    }
    Py_XDECREF(folded);
    if (kind == K_LANG && text->length == 0) return 0; /* no language: no lang: holds */
    uint64_t hash = HASH_START;
    size_t dash = SIZE_MAX;
    for (size_t k = 0; k < text->length; k++) {
        if (dash == SIZE_MAX && text->data[k] == '-') dash = k;
        hash = step(hash, text->data[k]);
    }
    const Slot *slot = lookup(engine, kind, hash, text->data, (uint32_t)text->length);
    if (slot != NULL) set_bit(&engine->key_bits[slot->value], post);
    if (kind == K_LANG && dash != SIZE_MAX) {
        hash = HASH_START;
        for (size_t k = 0; k < dash; k++) hash = step(hash, text->data[k]);
        slot = lookup(engine, kind, hash, text->data, (uint32_t)dash);
        if (slot != NULL) set_bit(&engine->key_bits[slot->value], post);
    }
    text->length = 0;
    return 0;
}

/* Seen.address: parser.address(url), that is the casefolded URL without its scheme, "www."
   and trailing "/", into engine->addresses; then, for site:, each of Seen.hosts looked up. */
int scan_address(Engine *engine, PyObject *url, Py_ssize_t post) {
    if (!PyUnicode_Check(url)) {
        PyErr_SetString(PyExc_TypeError, "urls must be str");
        return -1;
    }
    PyObject *folded = NULL;
    if (!PyUnicode_IS_ASCII(url)) {
        folded = PyObject_CallMethod(url, "casefold", NULL);
        if (folded == NULL) return -1;
        url = folded;
    }
    int kind = PyUnicode_KIND(url);
    const void *data = PyUnicode_DATA(url);
    Py_ssize_t length = PyUnicode_GET_LENGTH(url);
    Buffer *out = &engine->addresses;
    size_t start = out->length;
    if (grow(out, (size_t)length + 1) < 0) {
        Py_XDECREF(folded);
        return -1;
    }
    for (Py_ssize_t at = 0; at < length; at++) {
        Py_UCS4 point = PyUnicode_READ(kind, data, at);
        if (folded == NULL && point >= 'A' && point <= 'Z') point += 32; /* casefold, ASCII */
        out->data[out->length++] = point;
    }
    Py_XDECREF(folded);
    uint32_t *text = out->data + start;
    size_t size = out->length - start, skip = 0;
    /* parser._SCHEME: ^[a-z][a-z0-9+.\-]*:// (the run cannot hold ":", so no backtracking) */
    if (size && text[0] >= 'a' && text[0] <= 'z') {
        size_t at = 1;
        while (at < size && ((text[at] >= 'a' && text[at] <= 'z') ||
                             (text[at] >= '0' && text[at] <= '9') || text[at] == '+' ||
                             text[at] == '.' || text[at] == '-'))
            at++;
        if (starts_with(text, size, at, "://")) skip = at + 3;
    }
    if (starts_with(text, size, skip, "www.")) skip += 4;
    while (size > skip && text[size - 1] == '/') size--;
    memmove(text, text + skip, (size - skip) * sizeof(uint32_t));
    size -= skip;
    out->length = start + size;
    if (!engine->has_sites) return 0;
    size_t host = 0, dots = 0;
    while (host < size && text[host] != '/') host++;
    for (size_t at = 0; at < host; at++) {
        if (text[at] == ':') {
            host = at;
            break;
        }
    }
    if (host == 0) return 0; /* no host, no hosts */
    for (size_t at = 0; at < host; at++) dots += text[at] == '.';
    /* site:example.com holds for news.example.com: every suffix of two labels or more, or the
       one label there is */
    size_t suffixes = dots > 1 ? dots : 1, from = 0;
    for (size_t n = 0; n < suffixes; n++) {
        uint64_t hash = HASH_START;
        for (size_t at = from; at < host; at++) hash = step(hash, text[at]);
        const Slot *slot = lookup(engine, K_SITE, hash, text + from, (uint32_t)(host - from));
        if (slot != NULL) set_bit(&engine->key_bits[slot->value], post);
        while (from < host && text[from] != '.') from++;
        from++;
    }
    return 0;
}
