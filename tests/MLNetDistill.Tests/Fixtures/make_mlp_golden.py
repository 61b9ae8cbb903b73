"""Golden values for the MLP student's losses, activations and optimizers.

Run with Debian's interpreter (it has PyTorch 1.13): /usr/bin/python3 make_mlp_golden.py
The numbers it prints are pasted into tests/MLNetDistill.Tests/Losses/*Tests.cs and Students/Mlp/*Tests.cs.
"""
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=8)


def show(name, t):
    t = t.detach().reshape(-1).tolist()
    print(f"{name}: [" + ", ".join(f"{v:.8g}f" for v in t) + "]")


s = torch.tensor([[1.0, -0.5, 2.0], [0.3, 0.8, -1.2]], requires_grad=True)
t_logits = torch.tensor([[2.0, 0.5, 1.0], [-0.4, 1.5, 0.2]])
labels = torch.tensor([0, 2])
T, alpha = 2.0, 0.7

# KD (Hinton 2015): alpha T^2 KL(batchmean) + (1 - alpha) CE
p_t = F.softmax(t_logits / T, dim=1)
show("kd teacher probabilities at T=2", p_t)
kd = alpha * T * T * F.kl_div(F.log_softmax(s / T, dim=1), p_t, reduction="batchmean") \
    + (1 - alpha) * F.cross_entropy(s, labels)
kd.backward()
print("kd loss with labels:", f"{kd.item():.8g}")
show("kd grad with labels", s.grad)
s.grad = None
kd_soft = T * T * F.kl_div(F.log_softmax(s / T, dim=1), p_t, reduction="batchmean")
kd_soft.backward()
print("kd loss without labels:", f"{kd_soft.item():.8g}")
show("kd grad without labels", s.grad)
s.grad = None

# Logit MSE (Ba and Caruana 2014)
mse = F.mse_loss(s, t_logits)
mse.backward()
print("logit mse:", f"{mse.item():.8g}")
show("logit mse grad", s.grad)
s.grad = None

# Hint (FitNets): mse(h W^T + b, hint)
h = torch.tensor([[0.5, -1.0, 2.0, 0.0], [1.5, 0.25, -0.5, 1.0]], requires_grad=True)
W = torch.tensor([[0.1, 0.2, -0.3, 0.4], [-0.5, 0.6, 0.7, -0.8], [0.9, -1.0, 0.0, 0.5]], requires_grad=True)
b = torch.tensor([0.05, -0.1, 0.2], requires_grad=True)
hint = torch.tensor([[0.3, -0.2, 1.0], [0.0, 0.5, -0.7]])
hl = F.mse_loss(F.linear(h, W, b), hint)
hl.backward()
print("hint loss:", f"{hl.item():.8g}")
show("hint grad h", h.grad)
show("hint grad W", W.grad)
show("hint grad b", b.grad)


# RKD distance (Park et al. 2019), the authors' code
def pdist(e, squared=False, eps=1e-12):
    e_square = e.pow(2).sum(dim=1)
    prod = e @ e.t()
    res = (e_square.unsqueeze(1) + e_square.unsqueeze(0) - 2 * prod).clamp(min=eps)
    if not squared:
        res = res.sqrt()
    res = res.clone()
    res[range(len(e)), range(len(e))] = 0
    return res


st = torch.tensor([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0], [-1.5, 2.0, 1.0], [0.0, 0.3, -0.7]], requires_grad=True)
te = torch.tensor([[0.2, 1.0, 0.0, -1.0, 0.5], [1.0, 1.0, 1.0, 0.0, 0.0], [-2.0, 0.5, 0.3, 0.3, 1.0], [0.0, 0.0, 3.0, 1.0, -1.0]])
with torch.no_grad():
    t_d = pdist(te)
    t_d = t_d / t_d[t_d > 0].mean()
d = pdist(st)
d = d / d[d > 0].mean()
rkd = F.smooth_l1_loss(d, t_d, reduction="mean")
rkd.backward()
print("rkd loss:", f"{rkd.item():.8g}")
show("rkd grad", st.grad)

# GELU, erf form
x = torch.tensor([-5.0, -2.5, -1.0, -0.3, 0.0, 0.2, 0.7, 1.5, 3.0, 6.0], requires_grad=True)
y = F.gelu(x)
y.sum().backward()
show("gelu", y)
show("gelu grad", x.grad)

# AdamW and SGD, three steps on fixed gradients
for name, make in [("adamw", lambda p: torch.optim.AdamW([p], lr=0.1, weight_decay=0.01)),
                   ("sgd nesterov", lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01))]:
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    opt = make(p)
    for g in ([0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.0, 0.2]):
        p.grad = torch.tensor(g)
        opt.step()
    show(name + " after 3 steps", p)
