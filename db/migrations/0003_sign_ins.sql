ALTER TABLE "auth_sessions" RENAME TO "sign_ins";--> statement-breakpoint
ALTER TABLE "sign_ins" RENAME CONSTRAINT "auth_sessions_pkey" TO "sign_ins_pkey";--> statement-breakpoint
ALTER TABLE "sign_ins" RENAME CONSTRAINT "auth_sessions_user_id_users_id_fk" TO "sign_ins_user_id_users_id_fk";--> statement-breakpoint
ALTER INDEX "auth_sessions_user_idx" RENAME TO "sign_ins_user_idx";
