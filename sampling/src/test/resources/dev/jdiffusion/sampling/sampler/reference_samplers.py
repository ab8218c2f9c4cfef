"""Independent numpy reference for the Java samplers, written from the papers' equations.

The denoiser is the exact posterior mean of Gaussian data x0 ~ N(mu, s^2) per pixel: with
x_t = sqrt(ab) x0 + sqrt(1 - ab) eps,  E[x0 | x_t] = mu + sqrt(ab) s^2 / (ab s^2 + 1 - ab) (x_t - sqrt(ab) mu).
It is computed here in closed form, whatever the Java model predicts (eps, x0 or v), so that the Java side's
use of the metadata's estimate coefficients is under test too.

Timestep grids (T timesteps, n steps; diffusers' conventions, Lin et al. 2024 table 2):
  trailing  np.round(np.arange(T, 0, -T / n)) - 1
  linspace  np.round(np.linspace(0, T - 1, n))[::-1]
  leading   (np.arange(n) * (T // n))[::-1]
  karras    Karras et al. 2022 eq. 5 (rho = 7) between the table's sigma_max = sigma(T-1) and sigma_min =
            sigma(0), each sigma snapped to the timestep nearest in log sigma (k-diffusion's quantized
            sigma_to_t), sigma = sqrt((1 - ab) / ab)
  logsnr    uniform in lambda = log(alpha / sigma_VP) = -log sigma (Lu et al. 2022, DPM-Solver), snapped alike
            Snapped grids are made strictly decreasing: each point raised to one above its successor, then
            lowered to one below its predecessor (the convention jdiffusion documents).
Samplers (the step after the last network evaluation goes to ab = 1, the clean image):
  ddpm      Ho et al. 2020 eq. 6-7 on the (respaced, Nichol & Dhariwal 2021) chain; variance beta~ or beta
  ddim      Song et al. 2021 eq. 12 with sigma_t(eta) of eq. 16
  euler     Karras et al. 2022 algorithm 1 without the second-order correction, in x/sqrt(ab) and sigma
  heun      Karras et al. 2022 algorithm 1 (Heun's correction wherever sigma_{i+1} != 0)
  dpmpp-2m  Lu et al. 2022 (DPM-Solver++) algorithm 2 in alpha_t, sigma_t, lambda_t = log(alpha_t / sigma_t),
            first order at the first step and at the last (to lambda = infinity)
Noise: noise[0] is x_T; noise[k] is the noise of the k-th update (k = 1 .. n).

usage: reference_samplers.py IN.npz OUT.npz SAMPLER STEPS SPACING ETA VARIANCE CLIP LO HI MU S
  IN.npz holds alphabar [T] and noise [n + 1, N, P], or instead of noise noise_seed = [SEED, N, P] for
  jdiffusion's seeded noise (seeded_noise.py); OUT.npz gets calls_x [NFE, N, P] (the model input of
  every network evaluation), calls_t [NFE] and out [N, P].
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def sigmas_of(ab):
    with np.errstate(divide="ignore"):
        return np.sqrt((1 - ab) / ab)


def grid(ab, n, spacing, rho=7.0):
    T = len(ab)
    if spacing == "trailing":
        ts = np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1
    elif spacing == "linspace":
        ts = np.round(np.linspace(0, T - 1, n))[::-1].astype(np.int64)
    elif spacing == "leading":
        ts = (np.arange(0, n) * (T // n))[::-1].astype(np.int64)
    elif spacing in ("karras", "logsnr"):
        sig = sigmas_of(ab)
        smin, smax = sig[0], sig[-1]
        ramp = np.linspace(0, 1, n)
        if spacing == "karras":
            s = (smax ** (1 / rho) + ramp * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
        else:
            s = np.exp(-(-np.log(smax) + ramp * (np.log(smax) - np.log(smin))))   # lambda = -log sigma, uniform
        ts = np.abs(np.log(s)[:, None] - np.log(sig)[None, :]).argmin(axis=1).astype(np.int64)
        for k in range(n - 2, -1, -1):                 # points that snapped together move apart
            ts[k] = max(ts[k], ts[k + 1] + 1)
        ts[0] = min(ts[0], T - 1)
        for k in range(1, n):
            ts[k] = min(ts[k], ts[k - 1] - 1)
    else:
        raise ValueError(spacing)
    return [int(t) for t in ts]


class Oracle:
    def __init__(self, ab, mu, s, clip, lo, hi):
        self.ab, self.mu, self.s, self.clip, self.lo, self.hi = ab, mu, s, clip, lo, hi
        self.calls_x, self.calls_t = [], []

    def x0(self, x, t):
        """The (clipped) posterior mean of x0 given the VP state x at timestep t; records the call."""
        self.calls_x.append(np.array(x, dtype=np.float64))
        self.calls_t.append(t)
        a = self.ab[t]
        d = self.mu + np.sqrt(a) * self.s ** 2 / (a * self.s ** 2 + 1 - a) * (x - np.sqrt(a) * self.mu)
        return np.clip(d, self.lo, self.hi) if self.clip else d


def ddpm(f, ab, ts, noise, variance):
    x = noise[0]
    for k, t in enumerate(ts):
        a = ab[t]
        a_prev = ab[ts[k + 1]] if k + 1 < len(ts) else 1.0
        beta = 1 - a / a_prev                          # the respaced chain's beta_t
        x0 = f.x0(x, t)
        mean = np.sqrt(a_prev) * beta / (1 - a) * x0 + np.sqrt(1 - beta) * (1 - a_prev) / (1 - a) * x
        var = beta * (1 - a_prev) / (1 - a) if variance == "posterior" else beta
        x = mean + (np.sqrt(var) * noise[k + 1] if k + 1 < len(ts) else 0)
    return x


def ddim(f, ab, ts, noise, eta):
    x = noise[0]
    for k, t in enumerate(ts):
        a = ab[t]
        a_prev = ab[ts[k + 1]] if k + 1 < len(ts) else 1.0
        x0 = f.x0(x, t)
        eps = (x - np.sqrt(a) * x0) / np.sqrt(1 - a)
        sig = eta * np.sqrt((1 - a_prev) / (1 - a)) * np.sqrt(1 - a / a_prev)
        x = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev - sig ** 2) * eps + sig * noise[k + 1]
    return x


def karras(f, ab, ts, noise, second_order):
    sig = list(sigmas_of(ab)[ts]) + [0.0]
    x = noise[0] / np.sqrt(ab[ts[0]])                # x / sqrt(ab): the ODE's variable, x0 + sigma eps
    for i, t in enumerate(ts):
        d = (x - f.x0(x * np.sqrt(ab[t]), t)) / sig[i]
        x_next = x + (sig[i + 1] - sig[i]) * d
        if second_order and sig[i + 1] != 0:
            t2 = ts[i + 1]
            d2 = (x_next - f.x0(x_next * np.sqrt(ab[t2]), t2)) / sig[i + 1]
            x_next = x + (sig[i + 1] - sig[i]) * (d + d2) / 2
        x = x_next
    return x


def dpmpp_2m(f, ab, ts, noise):
    alpha = np.append(np.sqrt(ab[ts]), 1.0)
    sigma = np.append(np.sqrt(1 - ab[ts]), 0.0)
    with np.errstate(divide="ignore"):
        lam = np.log(alpha / sigma)                    # lambda = +inf after the last step
    x = noise[0]
    previous = None
    for i, t in enumerate(ts):
        d = f.x0(x, t)
        last = i + 1 == len(ts)
        if last:
            x = d                                      # lambda -> infinity: x_0 = alpha D = D
        else:
            h = lam[i + 1] - lam[i]
            if previous is None:
                dd = d
            else:
                r = (lam[i] - lam[i - 1]) / h
                dd = (1 + 1 / (2 * r)) * d - 1 / (2 * r) * previous
            x = sigma[i + 1] / sigma[i] * x - alpha[i + 1] * np.expm1(-h) * dd
        previous = d
    return x


def main(argv):
    data = np.load(argv[1])
    ab = data["alphabar"]
    sampler, steps, spacing, eta, variance = argv[3], int(argv[4]), argv[5], float(argv[6]), argv[7]
    clip, lo, hi, mu, s = argv[8] == "true", float(argv[9]), float(argv[10]), float(argv[11]), float(argv[12])
    ts = grid(ab, steps, spacing)
    if "noise" in data:
        noise = data["noise"]
    else:                                              # jdiffusion's seeded noise, from its documentation
        import seeded_noise
        seed, images, size = (int(v) for v in data["noise_seed"])
        noise = np.array(seeded_noise.array(seed, len(ts) + 1, images, size))
    f = Oracle(ab, mu, s, clip, lo, hi)
    if sampler == "ddpm":
        out = ddpm(f, ab, ts, noise, variance)
    elif sampler == "ddim":
        out = ddim(f, ab, ts, noise, eta)
    elif sampler in ("euler", "heun"):
        out = karras(f, ab, ts, noise, sampler == "heun")
    elif sampler == "dpmpp-2m":
        out = dpmpp_2m(f, ab, ts, noise)
    else:
        raise ValueError(sampler)
    np.savez(argv[2], calls_x=np.stack(f.calls_x), calls_t=np.array(f.calls_t, dtype=np.float64), out=out)


if __name__ == "__main__":
    main(sys.argv)
