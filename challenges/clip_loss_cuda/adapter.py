"""clip_loss_cuda as the clip_loss suite sees it: ``clip_loss(image, text, logit_scale)`` on CPU
tensors of any float dtype, differentiable.

The rows are L2-normalized with torch (autograd differentiates that), moved to the GPU as
contiguous float32, and the candidate's kernels compute the two log-sum-exps and their gradient
through a torch.autograd.Function; the diagonal (target) term is plain torch. The loss comes back
on the inputs' device and dtype. Pointers and the current stream are passed as integers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def adapt(functions):
    forward_kernel = functions["clip_lse_forward"]
    backward_kernel = functions["clip_lse_backward"]

    class LogSumExps(torch.autograd.Function):
        """(sum of row log-sum-exps + sum of column log-sum-exps) / (2N) of scale * a @ b.T."""

        @staticmethod
        def forward(ctx, a, b, scale):
            n, d = a.shape
            row_lse = torch.empty(n, device=a.device, dtype=torch.float32)
            col_lse = torch.empty(n, device=a.device, dtype=torch.float32)
            stream = torch.cuda.current_stream(a.device).cuda_stream
            forward_kernel(a.data_ptr(), b.data_ptr(), n, d, scale, row_lse.data_ptr(), col_lse.data_ptr(), stream)
            ctx.save_for_backward(a, b, row_lse, col_lse)
            ctx.scale = scale
            return (row_lse.sum() + col_lse.sum()) / (2 * n)

        @staticmethod
        def backward(ctx, grad):
            a, b, row_lse, col_lse = ctx.saved_tensors
            n, d = a.shape
            grad_a, grad_b = torch.zeros_like(a), torch.zeros_like(b)
            stream = torch.cuda.current_stream(a.device).cuda_stream
            backward_kernel(a.data_ptr(), b.data_ptr(), n, d, ctx.scale, row_lse.data_ptr(), col_lse.data_ptr(),
                            float(grad), grad_a.data_ptr(), grad_b.data_ptr(), stream)
            return grad_a, grad_b, None

    def clip_loss(image_features, text_features, logit_scale):
        scale = float(logit_scale)
        a = F.normalize(image_features.to("cuda", torch.float32), dim=1).contiguous()
        b = F.normalize(text_features.to("cuda", torch.float32), dim=1).contiguous()
        loss = LogSumExps.apply(a, b, scale) - scale * (a * b).sum(dim=1).mean()
        return loss.to(image_features.device, image_features.dtype)

    return {"clip_loss": clip_loss}
