"""Readable reference for the temporal shift of TSM (Lin, Gan and Han, ICCV 2019): the specification."""

import torch


def temporal_shift(x: torch.Tensor, n_segment: int, fold_div: int = 8) -> torch.Tensor:
    """Shift part of the channels of ``x`` (N*T, C, H, W) one frame along time, T = ``n_segment``.

    With ``fold = C // fold_div``: channels ``[0, fold)`` of frame t take frame t + 1's values,
    channels ``[fold, 2 * fold)`` take frame t - 1's values, the rest are copied. Zeros enter at the
    ends of each clip; clips never exchange values. The input is not modified; gradients flow.
    """
    if x.dim() != 4:
        raise ValueError(f"x must be (N*T, C, H, W); got shape {tuple(x.shape)}")
    if n_segment < 1 or fold_div < 1:
        raise ValueError(f"n_segment and fold_div must be positive; got {n_segment} and {fold_div}")
    nt, c, h, w = x.shape
    if nt % n_segment != 0:
        raise ValueError(f"the first dimension {nt} is not a multiple of n_segment={n_segment}")
    clips = x.reshape(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(clips)
    out[:, :-1, :fold] = clips[:, 1:, :fold]  # look ahead: frame t reads frame t + 1
    out[:, 1:, fold : 2 * fold] = clips[:, :-1, fold : 2 * fold]  # look back: frame t reads frame t - 1
    out[:, :, 2 * fold :] = clips[:, :, 2 * fold :]  # the rest stays in place
    return out.reshape(nt, c, h, w)
