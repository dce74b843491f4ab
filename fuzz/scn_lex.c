#include "scn_lex.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *vc_scn_read_line(FILE *in, char *buf, int *more)
{
    size_t n = 0;
    int c;
    while ((c = getc(in)) != EOF && c != '\n') {
        if (c == 0)
            return "holds a NUL byte (the text form is text)";
        if (n == VC_SCN_LINE_MAX)
            return "is too long (at most " STR(VC_SCN_LINE_MAX) " bytes)";
        buf[n++] = (char)c;
    }
    if (ferror(in))
        return "cannot be read";
    buf[n] = 0;
    *more = c != EOF || n > 0;
    return NULL;
}

static int digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

const char *vc_scn_parse_u64(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    size_t i = 0;
    if (n > 0 && s[0] == '-')
        return "is negative";
    if (n > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, i = 2;
    else if (n > 1 && s[0] == '0')
        return "has a leading zero (octal is not read: write decimal or 0x hex)";
    if (i == n)
        return "is not a number (decimal or 0x hex)";
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)digit(s[i]);
        if (d >= base)
            return "is not a number (decimal or 0x hex)";
        if (v > (UINT64_MAX - d) / base)
            return "does not fit in 64 bits";
        v = v * base + d;
    }
    *out = v;
    return NULL;
}
