# Round 5 of the real-faces study: the warped source itself on the face (GeneratorConfig.warp_on_face). Every run by
# scripts/real_levers.py (the real preset's recipe: 64 px, batch 8, reconstruction only, lr 2e-4, blend pull 1, one torch
# thread), settings chosen on scripts/tune_real.py's REAL_TUNE pairs, then scored here in one run. L is the folder the runs
# were written to; committed.pt is round 4's committed generator (data_samples/generator64.pt before this round).
# (This file was written after the run, from the systems listed in results.json, which hold the paths.)
L=/work/levers
python scripts/real_levers.py --lever prior+pixel+rel+off+wof --data textured --steps 1000 --snapshot 500 --out $L
python scripts/real_levers.py --lever prior+pixel+rel+off+wof --data synthetic --steps 1000 --snapshot 500 --out $L
# committed-wof-untrained.pt: committed.pt's weights with warp_on_face switched on in its architecture (no training)
# the new committed generator, by the project command (it reproduced prior+pixel+rel+off+wof-textured.pt exactly):
OMP_NUM_THREADS=1 meshreenact train --config prior --data textured --export data_samples/generator64.pt
meshreenact evaluate --generator committed=data_samples/generator64.pt --generator previous-committed=$L/committed.pt \
  --generator previous+wof-untrained=$L/committed-wof-untrained.pt \
  --generator wof-textured-500=$L/prior+pixel+rel+off+wof-textured-s500.pt --generator wof-textured-1000=$L/prior+pixel+rel+off+wof-textured.pt \
  --generator wof-synthetic-500=$L/prior+pixel+rel+off+wof-synthetic-s500.pt --generator wof-synthetic-1000=$L/prior+pixel+rel+off+wof-synthetic.pt \
  --benchmark all --pairs 32 --out results/real_levers
# the second seed of the committed recipe (not committed), scored alone:
OMP_NUM_THREADS=1 meshreenact train --config prior --data textured --seed 1 --export $L/prior-seed1.pt
meshreenact evaluate --generator seed1=$L/prior-seed1.pt --benchmark real --pairs 32 --out $L/seed1
