/* Replays a fuzz target's seed corpus as an ordinary test: every file under the given folders
 * (or the given files) is fed to LLVMFuzzerTestOneInput once. Exits 1 when no input was found,
 * so an empty or missing corpus cannot pass silently. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return -1; }
  uint8_t *buf = NULL; size_t len = 0, cap = 0; size_t n;
  uint8_t chunk[65536];
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + n > cap) {
      cap = (len + n) * 2;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) { free(buf); fclose(f); return -1; }
      buf = nb;
    }
    memcpy(buf + len, chunk, n); len += n;
  }
  fclose(f);
  /* Give the target a buffer of exactly `len` bytes so ASan sees overreads. */
  uint8_t *exact = malloc(len ? len : 1);
  if (!exact) { free(buf); return -1; }
  if (len) memcpy(exact, buf, len);
  free(buf);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

static int replay_path(const char *path, long *count) {
  struct stat st;
  if (stat(path, &st) != 0) { perror(path); return -1; }
  if (!S_ISDIR(st.st_mode)) {
    if (replay_file(path) != 0) return -1;
    (*count)++;
    return 0;
  }
  DIR *d = opendir(path);
  if (!d) { perror(path); return -1; }
  struct dirent *e; int rc = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    if (replay_path(sub, count) != 0) rc = -1;
  }
  closedir(d);
  return rc;
}

int main(int argc, char **argv) {
  long count = 0; int rc = 0;
  for (int i = 1; i < argc; i++)
    if (replay_path(argv[i], &count) != 0) rc = 1;
  printf("replayed %ld inputs\n", count);
  if (count == 0) { fprintf(stderr, "no corpus inputs found\n"); return 1; }
  return rc;
}
