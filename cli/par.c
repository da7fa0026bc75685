// SPDX-License-Identifier: GPL-2.0-only
/*
 * par.c: the start gate of a par block's threads (par.h): a mutex, a condition variable, a
 * count of the threads waiting and the gate's state.
 */
#include "par.h"

void par_gate_init(struct par_gate *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->waiting = 0;
	g->state = 0;
}

void par_gate_destroy(struct par_gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

bool par_gate_pass(struct par_gate *g)
{
	bool go;

	pthread_mutex_lock(&g->lock);
	g->waiting++;
	pthread_cond_broadcast(&g->cond);
	while (!g->state)
		pthread_cond_wait(&g->cond, &g->lock);
	go = g->state > 0;
	pthread_mutex_unlock(&g->lock);
	return go;
}

void par_gate_wait_for(struct par_gate *g, int n)
{
	pthread_mutex_lock(&g->lock);
	while (g->waiting < n)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

void par_gate_open(struct par_gate *g, bool go)
{
	pthread_mutex_lock(&g->lock);
	g->state = go ? 1 : -1;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}
