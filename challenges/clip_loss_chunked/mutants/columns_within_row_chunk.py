"""Columns are only reduced within the current row chunk: each column's log-sum-exp is overwritten
by the last row tile's instead of being combined across row tiles. Right when one chunk covers
all N rows, wrong as soon as there are two.

Breaks: matches_reference
"""

import torch
import torch.nn.functional as F


class ChunkedClipLoss(torch.autograd.Function):
    """Loss of already L2-normalized rows ``a`` (image) and ``b`` (text), ``chunk_size`` rows a tile."""

    @staticmethod
    def forward(ctx, a, b, scale, chunk_size):
        n = len(a)
        s = scale.to(a.dtype) if isinstance(scale, torch.Tensor) else scale
        scaled_a = a * s  # logits of a tile = scaled_a[rows] @ b[cols].T
        row_lse = a.new_full((n,), -torch.inf)
        col_lse = a.new_full((n,), -torch.inf)
        for i in range(0, n, chunk_size):
            rows = slice(i, i + chunk_size)
            for j in range(0, n, chunk_size):
                cols = slice(j, j + chunk_size)
                tile = scaled_a[rows] @ b[cols].T
                row_lse[rows] = torch.logaddexp(row_lse[rows], torch.logsumexp(tile, dim=1))
                col_lse[cols] = torch.logsumexp(tile, dim=0)
        diagonal = (scaled_a * b).sum(dim=1)  # the logits of the matched pairs
        loss = (row_lse.sum() + col_lse.sum() - 2 * diagonal.sum()) / (2 * n)
        ctx.save_for_backward(a, b, row_lse, col_lse)
        ctx.scale, ctx.chunk_size = scale, chunk_size
        return loss

    @staticmethod
    def backward(ctx, grad_loss):
        a, b, row_lse, col_lse = ctx.saved_tensors
        scale, chunk_size = ctx.scale, ctx.chunk_size
        s = scale.to(a.dtype) if isinstance(scale, torch.Tensor) else scale
        want_scale = isinstance(scale, torch.Tensor) and ctx.needs_input_grad[2]
        n = len(a)
        scaled_a = a * s
        # Sums over tiles of P = softmax-over-rows + softmax-over-columns (each entry of the tile):
        # P @ b, P.T @ a, and sum(P * logits) for the gradient of logit_scale.
        p_b, p_a, p_logits = torch.zeros_like(a), torch.zeros_like(b), a.new_zeros(())
        for i in range(0, n, chunk_size):
            rows = slice(i, i + chunk_size)
            for j in range(0, n, chunk_size):
                cols = slice(j, j + chunk_size)
                tile = scaled_a[rows] @ b[cols].T
                p = torch.sub(tile, row_lse[rows, None]).exp_()
                p += torch.sub(tile, col_lse[None, cols]).exp_()
                p_b[rows] += p @ b[cols]
                p_a[cols] += p.T @ a[rows]
                if want_scale:
                    p_logits += (p * tile).sum()
        # dloss/dlogits = P / (2N) - I / N, and dlogits/da = s · b, dlogits/db = s · a.
        factor = s * grad_loss
        grad_a = (p_b / (2 * n) - b / n) * factor
        grad_b = (p_a / (2 * n) - a / n) * factor
        grad_scale = None
        if want_scale:  # dloss/ds = sum(dloss/dlogits * logits) / s
            grad_scale = ((p_logits / (2 * n) - (scaled_a * b).sum() / n) / s * grad_loss).to(scale.dtype)
        return grad_a, grad_b, grad_scale, None


def clip_loss(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale,
              chunk_size: int = 1024) -> torch.Tensor:
    """CLIP's symmetric contrastive loss (see ``reference/ops/clip_loss.py``) as a 0-d tensor,
    computed in ``chunk_size`` × ``chunk_size`` tiles of the logits, never all N×N at once."""
    image = F.normalize(image_features, dim=1)
    text = F.normalize(text_features, dim=1)
    return ChunkedClipLoss.apply(image, text, logit_scale, int(chunk_size))
