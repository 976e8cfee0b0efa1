# The trunk every SSL-init MSRC-21 row loads: written by
#   python tools/pretrain_ssl.py configs/ssl/msrc21_densecl.py --work-dir work_dirs/ssl/msrc21_densecl
# Another budget: --cfg-options model.net.pretrained=work_dirs/ssl/msrc21_densecl/trunk_iter250.pth
trunk = 'work_dirs/ssl/msrc21_densecl/trunk.pth'
