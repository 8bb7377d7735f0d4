/* trust.c - trusted key lists in ntp.conf syntax ("trustedkey 11 12 (13 ... 20)") and the
 * compact forms "11-20" and "11,12".
 *
 * The spec is tokenised with '(' and ')' as tokens of their own and spaces, tabs and commas as
 * separators, so "(13 ... 20)" and "( 13 ... 20 )" read alike. ntp.conf requires spaces around
 * "..."; "13...20" is reported as a bad token, as ntpd would. */
#include "keyring_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_MAX 64

typedef struct {
  const char *p;
  char tok[TOKEN_MAX];
  bool overlong;
} trust_lexer;

/* Next token into lx->tok; false at the end. */
static bool next_token(trust_lexer *lx) {
  while (*lx->p && (isspace((unsigned char)*lx->p) || *lx->p == ',')) lx->p++;
  if (!*lx->p) return false;
  size_t n = 0;
  lx->overlong = false;
  if (*lx->p == '(' || *lx->p == ')') {
    lx->tok[n++] = *lx->p++;
  } else {
    while (*lx->p && !isspace((unsigned char)*lx->p) && *lx->p != ',' && *lx->p != '(' &&
           *lx->p != ')') {
      if (n < TOKEN_MAX - 1)
        lx->tok[n++] = *lx->p;
      else
        lx->overlong = true;
      lx->p++;
    }
  }
  lx->tok[n] = '\0';
  return true;
}

/* A key ID 1..2^32-1 in decimal, nothing else. */
static bool parse_id(const char *s, uint32_t *out) {
  if (!isdigit((unsigned char)s[0])) return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v == 0 || v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

static nta_status add_range(trust_range **r, size_t *n, size_t *cap, uint32_t lo, uint32_t hi) {
  if (*n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    trust_range *nr = realloc(*r, ncap * sizeof *nr);
    if (!nr) return NTA_ERR_NOMEM;
    *r = nr;
    *cap = ncap;
  }
  (*r)[(*n)++] = (trust_range){lo, hi};
  return NTA_OK;
}

static nta_status bad_token(nta_diag *err, const char *tok, const char *why) {
  return nta_diag_set(err, NTA_ERR_PARSE, "trusted keys: bad token '%s': %s", tok, why);
}

/* "(lo ... hi)" after the '(' was read. */
static nta_status parse_paren_range(trust_lexer *lx, uint32_t *lo, uint32_t *hi, nta_diag *err) {
  if (!next_token(lx)) return nta_diag_set(err, NTA_ERR_PARSE, "trusted keys: unterminated '('");
  if (!parse_id(lx->tok, lo)) return bad_token(err, lx->tok, "expected a key ID 1-4294967295 after '('");
  if (!next_token(lx)) return nta_diag_set(err, NTA_ERR_PARSE, "trusted keys: unterminated '('");
  if (strcmp(lx->tok, "...") != 0)
    return bad_token(err, lx->tok, "expected '...' (with spaces around it) in a range");
  if (!next_token(lx)) return nta_diag_set(err, NTA_ERR_PARSE, "trusted keys: unterminated '('");
  if (!parse_id(lx->tok, hi)) return bad_token(err, lx->tok, "expected a key ID 1-4294967295 after '...'");
  if (!next_token(lx) || strcmp(lx->tok, ")") != 0)
    return nta_diag_set(err, NTA_ERR_PARSE, "trusted keys: missing ')' after '(%u ... %u'", *lo, *hi);
  return NTA_OK;
}

/* "11" or "11-20". */
static nta_status parse_plain(const char *tok, uint32_t *lo, uint32_t *hi, nta_diag *err) {
  const char *dash = strchr(tok, '-');
  if (!dash) {
    if (!parse_id(tok, lo)) return bad_token(err, tok, "not a key ID 1-4294967295");
    *hi = *lo;
    return NTA_OK;
  }
  char left[TOKEN_MAX];
  size_t ln = (size_t)(dash - tok);
  memcpy(left, tok, ln);
  left[ln] = '\0';
  if (!parse_id(left, lo) || !parse_id(dash + 1, hi))
    return bad_token(err, tok, "a range is written LO-HI with key IDs 1-4294967295");
  return NTA_OK;
}

nta_status nta_trust_parse_spec(const char *spec, trust_range **ranges, size_t *n,
                                size_t *cap, nta_diag *err) {
  trust_lexer lx = {.p = spec};
  trust_range *tmp = NULL;
  size_t tn = 0, tcap = 0;
  nta_status st = NTA_OK;
  bool first = true;
  while (st == NTA_OK && next_token(&lx)) {
    uint32_t lo = 0, hi = 0;
    if (lx.overlong) {
      st = bad_token(err, lx.tok, "token too long");
      break;
    }
    if (first && strcasecmp(lx.tok, "trustedkey") == 0) {   /* a pasted ntp.conf line */
      first = false;
      continue;
    }
    first = false;
    if (strcmp(lx.tok, "(") == 0)
      st = parse_paren_range(&lx, &lo, &hi, err);
    else if (strcmp(lx.tok, ")") == 0 || strcmp(lx.tok, "...") == 0)
      st = bad_token(err, lx.tok, "not inside '( lo ... hi )'");
    else
      st = parse_plain(lx.tok, &lo, &hi, err);
    if (st != NTA_OK) break;
    if (lo > hi) {
      st = nta_diag_set(err, NTA_ERR_PARSE, "trusted keys: range %u ... %u runs backwards", lo, hi);
      break;
    }
    if (add_range(&tmp, &tn, &tcap, lo, hi) != NTA_OK) st = nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  }
  /* All or nothing: a bad spec leaves the trust list as it was. */
  for (size_t i = 0; st == NTA_OK && i < tn; i++)
    if (add_range(ranges, n, cap, tmp[i].lo, tmp[i].hi) != NTA_OK)
      st = nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  free(tmp);
  return st;
}
