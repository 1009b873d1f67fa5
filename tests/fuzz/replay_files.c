/*
 * Runs a fuzz target without libFuzzer (any compiler), as an ordinary
 * test: every file of the corpus directories or files given, then fixed
 * pseudo-random mutations of each (bytes flipped, cut, duplicated,
 * spliced with another input), so the target's invariants are checked in
 * every test run. Prints TAP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT 65536
#define MUTATIONS 300

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

struct input {
    uint8_t *data;
    size_t size;
};
static struct input inputs[512];
static size_t ninputs;

static int load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    uint8_t *buf = malloc(REPLAY_MAX_INPUT);
    size_t n = buf ? fread(buf, 1, REPLAY_MAX_INPUT, f) : 0;
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad || ninputs == sizeof(inputs) / sizeof(inputs[0])) {
        fprintf(stderr, "%s: cannot load\n", path);
        free(buf);
        return 1;
    }
    inputs[ninputs++] = (struct input){buf, n};
    return 0;
}

static int load_arg(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return load(path);
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        return 1;
    }
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        rc |= load(p);
    }
    closedir(d);
    return rc;
}

static size_t mutate(uint8_t *out, const struct input *in)
{
    size_t n = in->size;
    memcpy(out, in->data, n);
    switch (next() % 5) {
    case 0:     /* flip some bytes */
        for (int k = 0, m = 1 + (int)(next() % 4); n && k < m; k++)
            out[next() % n] ^= (uint8_t)(1u << (next() % 8));
        break;
    case 1:     /* cut */
        n = n ? next() % n : 0;
        break;
    case 2: {   /* duplicate a slice */
        if (!n)
            break;
        size_t a = next() % n, l = 1 + next() % (n - a);
        if (n + l <= REPLAY_MAX_INPUT) {
            memmove(out + a + l, out + a, n - a);
            n += l;
        }
        break;
    }
    case 3: {   /* splice another input's tail */
        const struct input *o = &inputs[next() % ninputs];
        size_t a = n ? next() % n : 0, b = o->size ? next() % o->size : 0;
        if (a + (o->size - b) <= REPLAY_MAX_INPUT) {
            memcpy(out + a, o->data + b, o->size - b);
            n = a + (o->size - b);
        }
        break;
    }
    default:    /* a random byte value somewhere, high bytes included */
        if (n)
            out[next() % n] = (uint8_t)next();
        break;
    }
    return n;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= load_arg(argv[i]);
    if (rc || ninputs == 0) {
        printf("1..1\nnot ok 1 - no corpus to replay\n");
        return 1;
    }
    static uint8_t buf[REPLAY_MAX_INPUT];
    unsigned runs = 0;
    for (size_t i = 0; i < ninputs; i++) {
        LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].size);
        runs++;
        for (int m = 0; m < MUTATIONS; m++) {
            size_t n = mutate(buf, &inputs[i]);
            LLVMFuzzerTestOneInput(buf, n);
            runs++;
        }
    }
    for (size_t i = 0; i < ninputs; i++)
        free(inputs[i].data);
    printf("1..1\nok 1 - fuzz target replayed %u inputs (%zu from the corpus)\n", runs, ninputs);
    return 0;
}
