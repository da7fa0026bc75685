/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What both executors use to run a par block (docs/language.md): a start gate. The
 * block's threads are made first and wait at the gate; it opens once every one of them is
 * waiting, so that they all begin together, or calls the block off when one could not be
 * made. It allocates nothing (the kernel executor's workers use it).
 */
#ifndef ANONVM_PAR_H
#define ANONVM_PAR_H

#include <pthread.h>
#include <stdbool.h>

struct par_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int waiting; /* threads at the gate */
	int state;   /* 0 closed, 1 open, -1 called off */
};

void par_gate_init(struct par_gate *g);
void par_gate_destroy(struct par_gate *g);
/* A thread of the block: waits at the gate; true when it opened, false when called off. */
bool par_gate_pass(struct par_gate *g);
/* Waits until n threads wait at the gate. */
void par_gate_wait_for(struct par_gate *g, int n);
/* Opens the gate (go) or calls the block off (!go). */
void par_gate_open(struct par_gate *g, bool go);

#endif
