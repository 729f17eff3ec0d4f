# The lever study of the real-faces issue: every run by scripts/real_levers.py (one recipe: 64 px, batch 8, reconstruction
# only, lr 2e-4, one torch thread), then scored in one run. L is the folder the runs were written to.
L=/work/levers
python scripts/real_levers.py --lever prior+pixel --data mixed --steps 1500 --snapshot 500 --out $L        # round 1 (50 % real pairs, no blend pull)
for X in paper prior pixel; do python scripts/real_levers.py --lever $X --data mixed --steps 500 --out $L; done
python scripts/real_levers.py --lever prior+pixel --data synthetic --steps 500 --out $L
# round 2: the blend pulled towards the warp (lambda_A = 1), padding out of the loss; 80 % / 50 % real pairs
python scripts/real_levers.py --lever prior+pixel --data mixed --steps 1000 --snapshot 500 --blend 1 --real-fraction 0.8 --tag=-r2 --out $L
python scripts/real_levers.py --lever prior+pixel --data mixed --steps 1000 --blend 1 --real-fraction 0.5 --tag=-r2-half --out $L
# round 3: + zoom/shift augmentation of the real pairs (realdata.similarity_augment)
python scripts/real_levers.py --lever prior+pixel --data mixed --steps 1000 --snapshot 500 --blend 1 --real-fraction 0.8 --tag=-r3 --out $L
# the committed generator, by the project command (its numbers equal prior+pixel-synthetic-500's: the run is deterministic)
meshreenact train --config prior --data synthetic --export data_samples/generator64.pt
meshreenact evaluate --generator committed=data_samples/generator64.pt --generator previous-committed=OLD/generator64.pt \
  --generator paper-mixed=$L/paper-mixed.pt --generator prior-mixed=$L/prior-mixed.pt --generator pixel-mixed=$L/pixel-mixed.pt \
  --generator prior+pixel-mixed-500=$L/prior+pixel-mixed-s500.pt --generator prior+pixel-mixed-1500=$L/prior+pixel-mixed.pt \
  --generator prior+pixel-synthetic-500=$L/prior+pixel-synthetic.pt --generator mix80+blend-500=$L/prior+pixel-mixed-r2-s500.pt \
  --generator mix80+blend-1000=$L/prior+pixel-mixed-r2.pt --generator mix50+blend-1000=$L/prior+pixel-mixed-r2-half.pt \
  --generator mix80+blend+geom-500=$L/prior+pixel-mixed-r3-s500.pt --generator mix80+blend+geom-1000=$L/prior+pixel-mixed-r3.pt \
  --benchmark all --pairs 32 --out results/real_levers
