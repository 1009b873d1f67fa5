/*
 * Runs the fuzz target without libFuzzer (any compiler): over files given
 * on the command line, or, with none, over a fixed set of structured and
 * pseudo-random inputs, so the target's invariants are checked in every
 * test run and its code never rots.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: read error\n", path);
        return 1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        int rc = 0;
        for (int i = 1; i < argc; i++)
            rc |= run_file(argv[i]);
        return rc;
    }
    static uint8_t buf[2 + 4096 + 32768];
    unsigned runs = 0;
    for (int round = 0; round < 20000; round++) {
        size_t size = 2 + next() % (sizeof(buf) - 2);
        for (size_t i = 0; i < size; i++)
            buf[i] = (uint8_t)next();
        /* Mostly plausible indexes, so requests get consumed and checked. */
        uint32_t prod = next() % 20;
        memcpy(buf + 2, &prod, 4);
        memset(buf + 2 + 4, 0, 12);
        if (size > 2 + 64 + 252)
            buf[2 + 64 + 2] = (uint8_t)(1 + next() % 4);   /* act */
        LLVMFuzzerTestOneInput(buf, size);
        runs++;
    }
    printf("1..1\nok 1 - fuzz target replayed %u inputs\n", runs);
    return 0;
}
