# SimCLR (global NT-Xent only) on CamVid's train frames: the global baseline of camvid_densecl.py.
_base_ = ['./camvid_densecl.py']
model = dict(method='simclr')
