#!/usr/bin/env bash
# W1 with 256 connections (BENCHMARKS.md `w1_hot_256`).
CONNECTIONS=256 BENCH_NAME=w1_hot_256 exec bash "$(dirname "$0")/w1_hot.sh"
