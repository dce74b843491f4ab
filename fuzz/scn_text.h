#ifndef VC_SCN_TEXT_H
#define VC_SCN_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "scenario.h"

void vc_scn_print(FILE *out, const vc_scenario *s);
/* Parses the text form; on error returns false with a message naming the line. */
bool vc_scn_parse(FILE *in, vc_scenario *s, char *err, size_t errcap);

#endif
