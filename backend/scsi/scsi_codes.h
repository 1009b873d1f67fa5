/*
 * SCSI operation codes and additional sense codes the emulated disk uses
 * (SPC-4, SBC-3). Sense keys come from <scsi/sg_lib.h> (SPC_SK_*).
 */
#ifndef PVSCSID_SCSI_CODES_H
#define PVSCSID_SCSI_CODES_H

/* Operation codes. */
#define SCSI_OP_TEST_UNIT_READY     0x00
#define SCSI_OP_REQUEST_SENSE       0x03
#define SCSI_OP_READ_6              0x08
#define SCSI_OP_WRITE_6             0x0a
#define SCSI_OP_INQUIRY             0x12
#define SCSI_OP_MODE_SENSE_6        0x1a
#define SCSI_OP_START_STOP_UNIT     0x1b
#define SCSI_OP_READ_CAPACITY_10    0x25
#define SCSI_OP_READ_10             0x28
#define SCSI_OP_WRITE_10            0x2a
#define SCSI_OP_SYNCHRONIZE_CACHE_10 0x35
#define SCSI_OP_MODE_SENSE_10       0x5a
#define SCSI_OP_READ_16             0x88
#define SCSI_OP_WRITE_16            0x8a
#define SCSI_OP_SYNCHRONIZE_CACHE_16 0x91
#define SCSI_OP_SERVICE_ACTION_IN_16 0x9e
#define SCSI_OP_READ_12             0xa8
#define SCSI_OP_WRITE_12            0xaa

/* Service actions of SERVICE ACTION IN(16). */
#define SCSI_SAI_READ_CAPACITY_16   0x10

/* Additional sense code / qualifier pairs: each expands to `asc, ascq`, the
 * last two arguments of lun_cmd_check_condition(). */
#define SCSI_ASC_NO_ADDITIONAL_SENSE        0x00, 0x00
#define SCSI_ASC_WRITE_ERROR                0x0c, 0x00
#define SCSI_ASC_UNRECOVERED_READ_ERROR     0x11, 0x00
#define SCSI_ASC_INVALID_OPCODE             0x20, 0x00
#define SCSI_ASC_LBA_OUT_OF_RANGE           0x21, 0x00
#define SCSI_ASC_INVALID_FIELD_IN_CDB       0x24, 0x00
#define SCSI_ASC_WRITE_PROTECTED            0x27, 0x00
#define SCSI_ASC_SAVING_PARAMS_UNSUPPORTED  0x39, 0x00

#endif
