/* The fork server's reports to the fuzz target (forksrv.c). */
#ifndef VC_FORKSRV_H
#define VC_FORKSRV_H

/* the pipe the reports go to, by number: set by the target, read by the server */
#define FORKSRV_ENV "VC_FORKSRV_FD"
/* the path of the socket whose first accept() starts the server */
#define FORKSRV_SOCK_ENV "VC_FORKSRV_SOCK"

enum { FORKSRV_START = 1, FORKSRV_END = 2 };

typedef struct forksrv_msg {
    int kind;   /* FORKSRV_START: pid listens; FORKSRV_END: pid died, status as from waitpid */
    int pid;
    int status;
} forksrv_msg;

#endif
