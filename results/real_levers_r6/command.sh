# Round 6 of the real-faces study: λ_Δ (LossWeights.correction), the mesh prior's off-face correction pulled towards 0,
# against the dark blob the learned correction drags out of 0-f1-su-ph.jpg's hair. The committed recipe (the prior
# preset's architecture, data='textured', 1000 steps, one torch thread each, two runs side by side) with λ_Δ = 2 and 10;
# chosen on the tuning pairs first (tune_real.txt), then scored on the real benchmark here. Not committed: see README.
L=/work/levers
python scripts/real_levers.py --lever prior+pixel+rel+off+wof --data textured --steps 1000 --snapshot 500 --correction 2 --tag=-corr2 --out $L
python scripts/real_levers.py --lever prior+pixel+rel+off+wof --data textured --steps 1000 --snapshot 500 --correction 10 --tag=-corr10 --out $L
python scripts/tune_real.py committed=data_samples/generator64.pt corr2=$L/prior+pixel+rel+off+wof-textured-corr2.pt \
  corr10=$L/prior+pixel+rel+off+wof-textured-corr10.pt > results/real_levers_r6/tune_real.txt
meshreenact evaluate --generator committed=data_samples/generator64.pt --generator corr2-500=$L/prior+pixel+rel+off+wof-textured-corr2-s500.pt \
  --generator corr2-1000=$L/prior+pixel+rel+off+wof-textured-corr2.pt --generator corr10-1000=$L/prior+pixel+rel+off+wof-textured-corr10.pt \
  --benchmark real --pairs 32 --out results/real_levers_r6
# the synthetic held-out benchmark of the same generators (after the note's first draft), its tables in synthetic_tables.md:
meshreenact evaluate --generator committed=data_samples/generator64.pt --generator corr2-1000=$L/prior+pixel+rel+off+wof-textured-corr2.pt \
  --generator corr10-1000=$L/prior+pixel+rel+off+wof-textured-corr10.pt --benchmark synthetic --pairs 32 --out $L/bench_syn
