# The trunk every SSL-init CamVid row loads: written by
#   python tools/pretrain_ssl.py configs/ssl/camvid_densecl.py --work-dir work_dirs/ssl/camvid_densecl
# Another budget or method: --cfg-options model.net.pretrained=work_dirs/ssl/.../trunk_iter250.pth
trunk = 'work_dirs/ssl/camvid_densecl/trunk.pth'
