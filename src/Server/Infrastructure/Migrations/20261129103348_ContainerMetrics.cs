using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ContainerConsole.Server.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class ContainerMetrics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ContainerMetrics",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Host = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    ContainerId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ContainerName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Time = table.Column<long>(type: "INTEGER", nullable: false),
                    ResolutionSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    CpuPercent = table.Column<double>(type: "REAL", nullable: false),
                    CpuSeconds = table.Column<double>(type: "REAL", nullable: false),
                    MemoryBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    MemoryLimitBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    NetworkRxBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    NetworkTxBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    BlockReadBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    BlockWriteBytes = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContainerMetrics", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ContainerMetrics_Host_ContainerId_ResolutionSeconds_Time",
                table: "ContainerMetrics",
                columns: new[] { "Host", "ContainerId", "ResolutionSeconds", "Time" });

            migrationBuilder.CreateIndex(
                name: "IX_ContainerMetrics_ResolutionSeconds_Time",
                table: "ContainerMetrics",
                columns: new[] { "ResolutionSeconds", "Time" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ContainerMetrics");
        }
    }
}
