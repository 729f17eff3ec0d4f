# Round 4 of the real-faces study (this session): the correction made relative to rest and restricted to off the face,
# real-textured heads, 128 px. Every run by scripts/real_levers.py (the real preset's recipe: 64 px, batch 8, reconstruction
# only, lr 2e-4, blend pull 1, one torch thread), settings chosen on scripts/tune_real.py's REAL_TUNE pairs, then scored here
# in one run. L is the folder the runs were written to; OLD is the previous committed generator (prior+pixel, 500 steps).
L=/work/levers/s16
python scripts/real_levers.py --lever prior+pixel --data synthetic --steps 2000 --snapshot 1000 --tag=-long --out $L   # stopped after the snapshot
python scripts/real_levers.py --lever prior+pixel+rel --data synthetic --steps 1000 --snapshot 500 --out $L
python scripts/real_levers.py --lever prior+pixel+rel --data mixed --steps 1000 --snapshot 500 --out $L
python scripts/real_levers.py --lever prior+pixel+rel+off --data synthetic --steps 1000 --snapshot 500 --out $L
python scripts/real_levers.py --lever prior+pixel+rel+off --data textured --steps 1000 --snapshot 500 --out $L
python scripts/real_levers.py --lever prior+pixel+rel --data synthetic --steps 500 --snapshot 250 --size 128 --out $L   # scored in results/real_levers_128
# committed-rel: OLD's weights with relative_correction switched on in its architecture (no training)
# the new committed generator, by the project command:
meshreenact train --config prior --data textured --export data_samples/generator64.pt
meshreenact evaluate --generator committed=data_samples/generator64.pt --generator previous-committed=OLD/generator64.pt \
  --generator previous+rel-untrained=$L/committed-rel.pt --generator prior+pixel-synthetic-1000=$L/prior+pixel-synthetic-long-s1000.pt \
  --generator rel-synthetic-500=$L/prior+pixel+rel-synthetic-s500.pt --generator rel-synthetic-1000=$L/prior+pixel+rel-synthetic.pt \
  --generator rel-mixed-1000=$L/prior+pixel+rel-mixed.pt \
  --generator rel+off-synthetic-500=$L/prior+pixel+rel+off-synthetic-s500.pt --generator rel+off-synthetic-1000=$L/prior+pixel+rel+off-synthetic.pt \
  --generator rel+off-textured-500=$L/prior+pixel+rel+off-textured-s500.pt --generator rel+off-textured-1000=$L/prior+pixel+rel+off-textured.pt \
  --benchmark all --pairs 32 --out results/real_levers
meshreenact evaluate --generator rel-synthetic-128px-250=$L/prior+pixel+rel-synthetic-128px-s250.pt --generator rel-synthetic-128px-500=$L/prior+pixel+rel-synthetic-128px.pt \
  --benchmark all --pairs 32 --out results/real_levers_128
