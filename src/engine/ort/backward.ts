/**
 * Backward passes of the model's building blocks, written by hand as ONNX ops (llm.c style).
 * Activations are 2-D (rows, features) unless a comment says otherwise; `dy` is dLoss/dy; `rows`
 * names the row count ('BT' or 'N') for the sums over rows.
 */
import type { Emitter } from './ops.js';

export interface DenseGrads {
  dx: string;
  dKernel: string;
  dBias: string;
}

/**
 * y = x W + b, x (M, in), W (in, out):
 *   dx = dy W^T (M, in);  dW = x^T dy (in, out);  db = sum over rows of dy (out).
 * Options folded into the Gemm that makes dx: `scale` multiplies it (alpha); `plus` (M, in) is added to it
 * (C), for a residual path that also reaches x.
 */
export function denseBackward(
  e: Emitter,
  x: string,
  kernel: string,
  dy: string,
  rows: string,
  hint: string,
  dx: { scale?: number; plus?: string } = {},
): DenseGrads {
  const dxValue = e.gemm(dy, kernel, `${hint}.dx`, { transB: true, alpha: dx.scale, bias: dx.plus }); // (M, in)
  const dKernel = e.gemm(x, dy, `${hint}.dkernel`, { transA: true }); // (in, out)
  const dBias = e.sumRows(dy, rows, `${hint}.dbias`); // (out)
  return { dx: dxValue, dKernel, dBias };
}

export interface LayerNormSaved {
  /** LayerNorm input (rows, H). */
  x: string;
  /** Row mean and 1/sqrt(var + eps), (rows, 1), from the LayerNormalization node. */
  mean: string;
  invStd: string;
  gamma: string;
}

export interface LayerNormGrads {
  dx: string;
  dGamma: string;
  dBeta: string;
}

/**
 * y = xhat * gamma + beta, xhat = (x - mean) * r, r = 1/sqrt(var + eps), over the last axis (width H).
 * With g = dy * gamma:
 *   dx = r * (g - mean_H(g) - xhat * mean_H(g * xhat))
 *   dgamma = sum over rows of dy * xhat;  dbeta = sum over rows of dy.
 * (Differentiate xhat_j = (x_j - mean) r: d mean / d x_i = 1/H, d r / d x_i = -r^3 (x_i - mean) / H = -r^2 xhat_i / H.)
 */
export function layerNormBackward(e: Emitter, s: LayerNormSaved, dy: string, rows: string, hint: string): LayerNormGrads {
  const xhat = e.mul(e.sub(s.x, s.mean, `${hint}.centered`), s.invStd, `${hint}.xhat`); // (rows, H)
  const dGamma = e.sumRows(e.mul(dy, xhat, `${hint}.dy_xhat`), rows, `${hint}.dgamma`); // (H)
  const dBeta = e.sumRows(dy, rows, `${hint}.dbeta`); // (H)
  const g = e.mul(dy, s.gamma, `${hint}.g`); // (rows, H)
  const meanG = e.reduceMean(g, [-1], `${hint}.mean_g`, true); // (rows, 1)
  const meanGX = e.reduceMean(e.mul(g, xhat, `${hint}.g_xhat`), [-1], `${hint}.mean_g_xhat`, true); // (rows, 1)
  const inner = e.sub(e.sub(g, meanG, `${hint}.g_centered`), e.mul(xhat, meanGX, `${hint}.xhat_m`), `${hint}.inner`);
  const dx = e.mul(inner, s.invStd, `${hint}.dx`); // (rows, H)
  return { dx, dGamma, dBeta };
}

/**
 * gelu(x) = x Phi(x), Phi(x) = 0.5 (1 + erf(x / sqrt 2)), so
 *   gelu'(x) = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
 *            = 0.5 (1 + erf(s) + sqrt(2 / pi) x / exp(s^2)),  s = x / sqrt 2.
 * Takes dy / 2 (the caller folds the 1/2 into the Gemm that makes dy) and returns dx = dy gelu'(x):
 * 9 elementwise passes. x / exp(s^2) is 0 once exp overflows (|x| > 13), the right limit.
 */
export function geluBackward(e: Emitter, x: string, halfDy: string, hint: string): string {
  const s = e.mul(x, e.scalar(Math.SQRT1_2), `${hint}.s`);
  const erf = e.op('Erf', [s], `${hint}.erf`);
  const expSq = e.op('Exp', [e.mul(s, s, `${hint}.s2`)], `${hint}.exp_s2`); // exp(x^2 / 2)
  const tail = e.mul(e.op('Div', [x, expSq], `${hint}.x_pdf`), e.scalar(Math.sqrt(2 / Math.PI)), `${hint}.tail`); // 2 x phi(x)
  const twiceSlope = e.add(e.add(erf, tail, `${hint}.sum`), e.scalar(1), `${hint}.twice_slope`); // 2 gelu'(x)
  return e.mul(halfDy, twiceSlope, `${hint}.dx`);
}

/**
 * p = softmax(s) over the last axis:  ds = p * (dp - sum_last(dp * p)).
 * (Jacobian dp_j / ds_i = p_j (delta_ij - p_i).)
 */
export function softmaxBackward(e: Emitter, p: string, dp: string, hint: string): string {
  const dot = e.reduceSum(e.mul(dp, p, `${hint}.dp_p`), [-1], `${hint}.dot`, true); // (..., 1)
  return e.mul(p, e.sub(dp, dot, `${hint}.centered`), `${hint}.ds`);
}
