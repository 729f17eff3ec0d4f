"""Test-suite settings. Under pytest-xdist each worker runs one notebook at a time in-process; on a 2-core machine two
workers with two torch threads each oversubscribe the cores (seen here: 10x slower), so each worker uses one thread."""
import os

if os.environ.get('PYTEST_XDIST_WORKER'):
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    import torch
    torch.set_num_threads(1)
