#!/usr/bin/env bash
# W4 batch (BENCHMARKS.md): the same 20,000 `fail` tasks as w4_tasks, submitted through
# `POST .../tasks/batch` in batches of 100 on 16 connections; measured until all completed.
BATCH=100 CONNECTIONS=16 BENCH_NAME=w4_batch exec bash "$(dirname "$0")/w4_tasks.sh" "$@"
