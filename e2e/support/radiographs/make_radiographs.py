"""
Two projection images for the units checks, written with pydicom (Debian's python3-pydicom):
a CR that knows only its detector's spacing (ImagerPixelSpacing 0.2 mm, no PixelSpacing), and a
secondary capture with no spacing at all. One study, one series each, fresh UIDs, the PatientID
given. Usage: make_radiographs.py OUT_DIR PATIENT_ID
"""
import os
import sys

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def image(path, patient_id, study_uid, sop_class, modality, series_number, description, spacing):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "RADIOGRAPH^UNITS"
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.StudyDescription = "Units check"
    ds.AccessionNumber = "RSUNITS1"
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = series_number
    ds.SeriesDescription = description
    ds.Modality = modality
    ds.InstanceNumber = 1
    ds.Rows = ds.Columns = 256
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    if spacing is not None:
        ds.ImagerPixelSpacing = [spacing, spacing]
    y, x = np.mgrid[0:256, 0:256]
    ds.PixelData = ((x * 16 + y) % 4096).astype(np.uint16).tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(path, write_like_original=False)


def main():
    out_dir, patient_id = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    study_uid = generate_uid()
    image(os.path.join(out_dir, "cr.dcm"), patient_id, study_uid, CR_IMAGE_STORAGE, "CR", 1, "Chest PA (detector spacing only)", 0.2)
    image(os.path.join(out_dir, "sc.dcm"), patient_id, study_uid, SECONDARY_CAPTURE, "OT", 2, "Capture without spacing", None)
    print(study_uid)


main()
