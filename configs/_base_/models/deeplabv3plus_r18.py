# DeepLabV3+ with a ResNet-18 trunk (torchvision modules, random init: no ImageNet weights here).
num_classes = 11
model = dict(
    type='WeakSegmentor',
    data_preprocessor=dict(type='SegDataPreprocessor', size_divisor=16),
    net=dict(type='DeepLabV3Plus', num_classes=num_classes, depth=18, output_stride=16,
             aspp_channels=128, pretrained=None),
    losses=[dict(type='PartialCrossEntropy')])
