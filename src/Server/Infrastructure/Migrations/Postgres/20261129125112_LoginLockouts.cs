using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ContainerConsole.Server.Infrastructure.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LoginLockouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "LoginLockouts",
                columns: table => new
                {
                    NormalizedUserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    FailureCount = table.Column<int>(type: "integer", nullable: false),
                    WindowStart = table.Column<long>(type: "bigint", nullable: false),
                    LockedUntil = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LoginLockouts", x => x.NormalizedUserName);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LoginLockouts_WindowStart",
                table: "LoginLockouts",
                column: "WindowStart");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LoginLockouts");
        }
    }
}
