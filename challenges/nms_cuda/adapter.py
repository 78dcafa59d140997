"""Torch CUDA tensors in, a torch CUDA tensor out, for nms_cuda's pointer-taking launcher.

The visiting order (a stable descending sort of the scores) and the gather of the boxes into that
order run on the device with torch; the harness launches the candidate's mask kernel and returns
the kept positions in the sorted order, which map back to input indices through the sort.
"""

import torch


def adapt(functions):
    def nms(boxes, scores, iou_threshold):
        if not (boxes.is_cuda and scores.is_cuda):
            boxes, scores = boxes.cuda(), scores.cuda()
        order = torch.sort(scores, descending=True, stable=True).indices
        sorted_boxes = boxes[order].contiguous()
        n = len(sorted_boxes)
        words = max(1, (n + 63) // 64)
        mask = torch.zeros(n * words, dtype=torch.int64, device=boxes.device)  # 64-bit words, all 0
        launch = functions["nms_f64"] if boxes.dtype == torch.float64 else functions["nms_f32"]
        kept = launch(sorted_boxes.data_ptr(), n, float(iou_threshold), mask.data_ptr(),
                      torch.cuda.current_stream().cuda_stream)
        return order[torch.tensor(kept, dtype=torch.int64, device=boxes.device)]

    return {"nms": nms}
