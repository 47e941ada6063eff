/* Evaluating the compiled queries on a batch that scan_text.c has read: AND, OR and NOT on sets
of posts, one bit each; phrases, NEAR, the positions of wildcards and url: checked post by post
on the words and addresses kept from the reading, for the posts the rest of the query leaves.

It is apart from the rest because it depends only on the program batch.py's _Compiler writes
(each node: operation, argument, child count, size; its children follow) and not on how text
is read: a new operator is added here and in _Compiler.
*/
#include "scan.h"

/* url:value: the address starts with the value, on the value's very host (and port). */
static int url_holds(const Engine *engine, int32_t value, Py_ssize_t post) {
    const uint32_t *address = engine->addresses.data + engine->address_start[post];
    size_t size = engine->address_start[post + 1] - engine->address_start[post];
    const uint32_t *wanted = engine->pool.data + engine->url_offset[value];
    size_t length = (size_t)engine->url_length[value], host = 0, address_host = 0;
    if (size < length || memcmp(address, wanted, length * sizeof(uint32_t)) != 0) return 0;
    while (host < length && wanted[host] != '/') host++;
    while (address_host < size && address[address_host] != '/') address_host++;
    return host == address_host;
}

static int push_span(Buffer *arena, uint32_t start, uint32_t end) {
    if (grow(arena, 2) < 0) return -1;
    arena->data[arena->length++] = start;
    arena->data[arena->length++] = end;
    return 0;
}

/* evaluate.compile_spans in C: appends where a positional node occurs in the post, as
   (first word, after last word) pairs, to the arena from *first on; -1 on error. */
static int spans(Engine *engine, const int32_t *node, Py_ssize_t post, size_t *first) {
    Buffer *arena = &engine->arena;
    *first = arena->length;
    Py_ssize_t base = engine->first_span[post];
    uint32_t count = (uint32_t)(engine->first_span[post + 1] - base);
    const uint32_t *keys = engine->word_keys.data + base;
    switch (node[0]) {
    case P_TERM:
        for (uint32_t at = 0; at < count; at++)
            if (keys[at] == (uint32_t)node[1] && push_span(arena, at, at + 1) < 0) return -1;
        return 0;
    case P_WILD:
        for (Py_ssize_t n = engine->first_hit[post]; n < engine->first_hit[post + 1]; n++) {
            uint32_t at = engine->hits.data[2 * n] - (uint32_t)base;
            if (engine->hits.data[2 * n + 1] == (uint32_t)node[1] &&
                push_span(arena, at, at + 1) < 0)
                return -1;
        }
        return 0;
    case P_PHRASE: {
        uint32_t length = (uint32_t)node[2];
        for (uint32_t at = 0; at + length <= count; at++) {
            const int32_t *word = node + 4;
            uint32_t k = 0;
            while (k < length && keys[at + k] == (uint32_t)word[1]) k++, word += word[3];
            if (k == length && push_span(arena, at, at + length) < 0) return -1;
        }
        return 0;
    }
    case P_OR: {
        const int32_t *child = node + 4;
        for (int32_t n = 0; n < node[2]; n++, child += child[3]) {
            size_t ignored;
            if (spans(engine, child, post, &ignored) < 0) return -1;
        }
        return 0; /* the children's spans, one after another, are the OR's */
    }
    case P_NEAR: {
        const int32_t *left = node + 4, *right = left + left[3];
        uint32_t distance = (uint32_t)(node[1] >> 1);
        int ordered = node[1] & 1;
        size_t rights, lefts;
        if (spans(engine, right, post, &rights) < 0) return -1;
        size_t right_end = arena->length;
        if (right_end == rights) return 0;
        if (spans(engine, left, post, &lefts) < 0) return -1;
        size_t left_end = arena->length;
        *first = left_end;
        for (size_t l = lefts; l < left_end; l += 2) {
            for (size_t r = rights; r < right_end; r += 2) {
                /* the distance counts the words between the two sides; they may not overlap */
                int64_t left_start = arena->data[l], left_stop = arena->data[l + 1];
                int64_t right_start = arena->data[r], right_stop = arena->data[r + 1];
                int64_t after = right_start - left_stop, before = left_start - right_stop;
                if ((after >= 0 && after <= distance) ||
                    (!ordered && before >= 0 && before <= distance)) {
                    int64_t start = left_start < right_start ? left_start : right_start;
                    int64_t end = left_stop > right_stop ? left_stop : right_stop;
                    if (push_span(arena, (uint32_t)start, (uint32_t)end) < 0) return -1;
                }
            }
        }
        return 0;
    }
    }
    return 0;
}

/* The posts of `mask` that the node holds for; sets *failed on an error. */
Bits scan_evaluate(Engine *engine, const int32_t *node, Bits mask, int *failed) {
    Bits found = {{0}};
    const int32_t *child = node + 4;
    int32_t count = node[2];
    switch (node[0]) {
    case OP_KEY:
    case OP_WILD: {
        const Bits *bits =
            node[0] == OP_KEY ? &engine->key_bits[node[1]] : &engine->wildcard_bits[node[1]];
        for (int k = 0; k < WORDS_PER_SET; k++) found.w[k] = bits->w[k] & mask.w[k];
        return found;
    }
    case OP_NOT: {
        Bits inner = scan_evaluate(engine, child, mask, failed);
        for (int k = 0; k < WORDS_PER_SET; k++) found.w[k] = mask.w[k] & ~inner.w[k];
        return found;
    }
    case OP_AND:
        for (int32_t n = 0; n < count && !is_empty(mask); n++, child += child[3])
            mask = scan_evaluate(engine, child, mask, failed);
        return mask;
    case OP_OR:
        for (int32_t n = 0; n < count && !is_empty(mask); n++, child += child[3]) {
            Bits some = scan_evaluate(engine, child, mask, failed);
            for (int k = 0; k < WORDS_PER_SET; k++) {
                found.w[k] |= some.w[k];
                mask.w[k] &= ~some.w[k];
            }
        }
        return found;
    case OP_POSITIONAL: {
        const int32_t *tree = child;
        if (count == 2) {
            mask = scan_evaluate(engine, child, mask, failed);
            tree = child + child[3];
        }
        for (int k = 0; k < WORDS_PER_SET; k++) {
            uint64_t word = mask.w[k];
            while (word) {
                int bit = __builtin_ctzll(word);
                word &= word - 1;
                size_t first;
                engine->arena.length = 0;
                if (spans(engine, tree, k * 64 + bit, &first) < 0) {
                    *failed = 1;
                    return found;
                }
                if (engine->arena.length > first) set_bit(&found, k * 64 + bit);
            }
        }
        return found;
    }
    case OP_URL:
        for (int k = 0; k < WORDS_PER_SET; k++) {
            uint64_t word = mask.w[k];
            while (word) {
                int bit = __builtin_ctzll(word);
                word &= word - 1;
                if (url_holds(engine, node[1], k * 64 + bit)) set_bit(&found, k * 64 + bit);
            }
        }
        return found;
    }
    return found;
}
