#include "scsi_type.h"
#include "tap.h"

TEST(common_types)
{
    CHECK_STR_EQ(scsi_type_name(0), "disk");
    CHECK_STR_EQ(scsi_type_name(1), "tape");
    CHECK_STR_EQ(scsi_type_name(5), "cd/dvd");
    CHECK_STR_EQ(scsi_type_name(8), "mediumx");
    CHECK_STR_EQ(scsi_type_name(0xc), "storage");          /* RAID controllers */
    CHECK_STR_EQ(scsi_type_name(0xd), "enclosu");
    CHECK_STR_EQ(scsi_type_name(0x1f), "no dev");
}

TEST(reserved_and_out_of_range)
{
    CHECK_STR_EQ(scsi_type_name(0xa), "(0xa)");
    CHECK_STR_EQ(scsi_type_name(0x1d), "(0x1d)");
    CHECK(scsi_type_name(-1) == NULL);
    CHECK(scsi_type_name(32) == NULL);
}

TAP_MAIN(common_types, reserved_and_out_of_range)
