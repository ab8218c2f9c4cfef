"""Independent FID/KID reference for the Java tests, in numpy/scipy, following the published conventions.

FID: pytorch-fid's calculate_frechet_distance (mu, sigma from np.cov(rowvar=False); tr sqrtm via
scipy.linalg.sqrtm of sigma1 @ sigma2, eps*I offset if not finite, real part). KID: torch-fidelity's
metric_kid (RandomState(seed).choice without replacement, first set then second; kernel (x.y/d + 1)^3;
unbiased MMD^2; mean and np.std).

usage: reference.py fid A.npy B.npy STATS_A.npz      -> JSON {fid, mu_a, sigma_a...}; writes A's stats with np.savez
       reference.py fidstats A.npz B.npz             -> JSON {fid} from two saved statistics files
       reference.py stats A.npy                      -> JSON {n, mu, sigma}: np.mean and np.cov of the rows
       reference.py kid A.npy B.npy SUBSETS SIZE SEED -> JSON {mean, std, values}
       reference.py perm SEED N...                    -> JSON [RandomState(SEED).permutation(N) for N...]
"""
import json
import sys

import numpy as np
from scipy import linalg


def frechet(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def stats(x):
    x = x.astype(np.float64)
    return np.mean(x, axis=0), np.cov(x, rowvar=False)


def poly(a, b):
    d = a.shape[1]
    return (a @ b.T / d + 1) ** 3


def mmd2(x, y):
    m = x.shape[0]
    kxx, kyy, kxy = poly(x, x), poly(y, y), poly(x, y)
    sxx = kxx.sum() - np.diagonal(kxx).sum()
    syy = kyy.sum() - np.diagonal(kyy).sum()
    return (sxx + syy) / (m * (m - 1)) - 2 * kxy.sum() / (m * m)


def main(argv):
    cmd = argv[1]
    if cmd == "fid":
        a, b = np.load(argv[2]), np.load(argv[3])
        mu1, s1 = stats(a)
        mu2, s2 = stats(b)
        np.savez(argv[4], mu=mu1, sigma=s1)
        print(json.dumps({"fid": frechet(mu1, s1, mu2, s2), "mu_a": mu1.tolist(), "sigma_a": s1.ravel().tolist()}))
    elif cmd == "fidstats":
        f1, f2 = np.load(argv[2]), np.load(argv[3])
        print(json.dumps({"fid": frechet(f1["mu"][:], f1["sigma"][:], f2["mu"][:], f2["sigma"][:])}))
    elif cmd == "stats":
        a = np.load(argv[2])
        mu, sigma = stats(a)
        print(json.dumps({"n": int(a.shape[0]), "mu": mu.tolist(), "sigma": sigma.ravel().tolist()}))
    elif cmd == "kid":
        a, b = np.load(argv[2]).astype(np.float64), np.load(argv[3]).astype(np.float64)
        subsets, size, seed = int(argv[4]), int(argv[5]), int(argv[6])
        rng = np.random.RandomState(seed)
        values = []
        for _ in range(subsets):
            x = a[rng.choice(len(a), size, replace=False)]
            y = b[rng.choice(len(b), size, replace=False)]
            values.append(float(mmd2(x, y)))
        print(json.dumps({"mean": float(np.mean(values)), "std": float(np.std(values)), "values": values}))
    elif cmd == "perm":
        rng = np.random.RandomState(int(argv[2]))
        print(json.dumps([rng.permutation(int(n)).tolist() for n in argv[3:]]))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
