"""Takes logit_scale for the stored log-temperature and exponentiates it again. Models store
log(scale) as the parameter, but this function receives the multiplier itself (as open_clip's
loss does), so exp() is applied twice.

Breaks: open_clip_values
"""

import torch
import torch.nn.functional as F


def siglip_loss(image_features, text_features, logit_scale, logit_bias):
    img = F.normalize(image_features, dim=-1)
    txt = F.normalize(text_features, dim=-1)
    logits = torch.exp(torch.as_tensor(logit_scale, dtype=img.dtype)) * img @ txt.T + logit_bias
    labels = 2 * torch.eye(len(img), dtype=logits.dtype) - 1
    return -F.logsigmoid(labels * logits).sum() / len(img)
