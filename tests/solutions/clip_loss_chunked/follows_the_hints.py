"""A correct tiled solution written the way the hints lead: F.normalize left to autograd (so the
normalized (N, D) rows are saved twice over), torch.logsumexp per tile, fresh tensors per tile.
It uses more memory than the reference and must still pass the memory test, ratio and growth."""

import torch
import torch.nn.functional as F


class ChunkedClipLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, logit_scale, chunk_size):
        n, s = len(a), float(logit_scale)
        row_lse = a.new_full((n,), -torch.inf)
        col_lse = a.new_full((n,), -torch.inf)
        for i in range(0, n, chunk_size):
            rows = slice(i, i + chunk_size)
            for j in range(0, n, chunk_size):
                cols = slice(j, j + chunk_size)
                tile = s * a[rows] @ b[cols].T
                row_lse[rows] = torch.logaddexp(row_lse[rows], torch.logsumexp(tile, dim=1))
                col_lse[cols] = torch.logaddexp(col_lse[cols], torch.logsumexp(tile, dim=0))
        diagonal = s * (a * b).sum()
        ctx.save_for_backward(a, b, row_lse, col_lse)
        ctx.s, ctx.chunk_size = s, chunk_size
        return (row_lse.sum() + col_lse.sum()) / (2 * n) - diagonal / n

    @staticmethod
    def backward(ctx, grad_output):
        a, b, row_lse, col_lse = ctx.saved_tensors
        s, chunk_size, n = ctx.s, ctx.chunk_size, len(a)
        grad_a, grad_b = torch.zeros_like(a), torch.zeros_like(b)
        for i in range(0, n, chunk_size):
            rows = slice(i, i + chunk_size)
            for j in range(0, n, chunk_size):
                cols = slice(j, j + chunk_size)
                tile = s * a[rows] @ b[cols].T
                g = (torch.exp(tile - row_lse[rows, None]) + torch.exp(tile - col_lse[None, cols])) / (2 * n)
                if i == j:
                    g.diagonal().sub_(1 / n)
                grad_a[rows] += s * g @ b[cols]
                grad_b[cols] += s * g.T @ a[rows]
        return grad_a * grad_output, grad_b * grad_output, None, None


def clip_loss(image_features, text_features, logit_scale, chunk_size=1024):
    a = F.normalize(image_features, dim=-1)
    b = F.normalize(text_features, dim=-1)
    return ChunkedClipLoss.apply(a, b, logit_scale, int(chunk_size))
