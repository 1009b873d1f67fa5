/*
 * Runs a fuzz target without libFuzzer (any compiler): over the files
 * given on the command line (a directory: every file in it, a committed
 * corpus), or, with none, over a fixed set of structured and pseudo-random
 * inputs, so the target's invariants are checked in every test run and its
 * code never rots.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as with libFuzzer: a target's once-per-process setup. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

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

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; *count is incremented. */
static int run_dir(const char *dir, unsigned *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*names));
            if (!nn) {
                rc = 1;
                break;
            }
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            rc = 1;
            break;
        }
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        rc |= run_file(path);
        (*count)++;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        int rc = 0;
        unsigned count = 0;
        for (int i = 1; i < argc; i++) {
            struct stat st;
            if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                rc |= run_dir(argv[i], &count);
            } else {
                rc |= run_file(argv[i]);
                count++;
            }
        }
        printf("1..1\n%s 1 - fuzz target replayed %u inputs\n", rc || count == 0 ? "not ok" : "ok",
               count);
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
